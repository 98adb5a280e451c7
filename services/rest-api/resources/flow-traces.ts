/**
 * The flow traces of a trace request (`/traces/{id}/flows`, `/traces/{id}/flows/{flowTraceId}`):
 * the packets the agents traced for it, which they keep in Cassandra (keyspace
 * MidonetFlowTracing), read through the node's FlowTraceReader. Beyond the original, which stored
 * them and served no API to read them: docs/decisions/0013-cassandra-flow-traces.md.
 *
 * Cassandra is only asked once the trace request is known to exist in ZooKeeper. When Cassandra is
 * not configured or cannot be reached, these answer 503 with `Retry-After`; nothing else in the API
 * depends on it.
 */
import { CassandraError } from '../../../lib/cassandra/errors.js';
import { FlowTraceArgumentError, type FlowTrace, type FlowTraceDetail, type FlowTraceReader } from '../../../lib/cassandra/flow-trace-reader.js';
import { badRequest, HttpError, notFound, unavailable } from '../../../lib/http/errors.js';
import { collection, JSON_TYPE, single } from '../../../lib/http/media-types.js';
import { pathId } from '../machinery/handlers.js';
import type { Dto, RequestContext, RouteDef } from '../machinery/types.js';
import { pathSegment } from '../../../lib/http/uri.js';

export const FLOW_TRACE = single('FlowTrace', 1);
export const FLOW_TRACES = collection('FlowTrace', 1);

const NOT_WIRED = 'Flow traces are kept in Cassandra, and this node has no Cassandra reader';

/** The reader's errors as the client sees them; anything else goes on to the generic mapping. */
function httpErrorOf(e: unknown): unknown {
  if (e instanceof FlowTraceArgumentError) return badRequest(e.message);
  if (e instanceof CassandraError) {
    // not configured or unreachable: 503, another endpoint or a later try may do; refused: a defect
    if (e.kind === 'failed') return new HttpError(500, e.message, { cause: e });
    return unavailable(e.message, e.retryAfterSeconds);
  }
  return e;
}

/** The reader, after checking that the trace request exists (404 as for any missing object). */
async function readerFor(ctx: RequestContext, traceId: string): Promise<FlowTraceReader> {
  await ctx.storage.get('TraceRequest', traceId);
  if (!ctx.flowTraces) throw unavailable(NOT_WIRED, 30);
  return ctx.flowTraces;
}

/** A time parameter: milliseconds since the epoch, or an ISO-8601 date (NaN is refused by the reader). */
function timeParam(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return /^\s*-?\d+\s*$/.test(value) ? Number(value) : Date.parse(value);
}

function flowJson(ctx: RequestContext, f: FlowTrace): Dto {
  const trace = `${ctx.base}/traces/${f.traceRequestId}`;
  return {
    uri: `${trace}/flows/${f.flowTraceId}`,
    traceRequestId: f.traceRequestId,
    flowTraceId: f.flowTraceId,
    time: f.time.toISOString(),
    ethSrc: f.ethSrc,
    ethDst: f.ethDst,
    etherType: f.etherType,
    networkSrc: f.networkSrc,
    networkDst: f.networkDst,
    networkProto: f.networkProto,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    traceRequest: trace,
  };
}

function detailJson(ctx: RequestContext, d: FlowTraceDetail): Dto {
  return {
    ...flowJson(ctx, d.flow),
    hosts: d.hosts,
    events: d.events.map((e) => ({
      time: e.time.toISOString(),
      eventId: e.eventId,
      host: e.host,
      // the agents write the host as text: whatever it holds stays one path segment
      hostUri: e.host !== null ? `${ctx.base}/hosts/${pathSegment(e.host)}` : null,
      data: e.data,
    })),
    moreEvents: d.moreEvents,
  };
}

export const flowTraceRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/traces/:id/flows',
    regime: 'E',
    produces: [FLOW_TRACES, JSON_TYPE],
    async handler(ctx) {
      const traceId = pathId(ctx);
      const reader = await readerFor(ctx, traceId);
      const limit = ctx.query['limit'];
      const query = { limit: limit === undefined ? undefined : Number(limit), since: timeParam(ctx.query['since']), until: timeParam(ctx.query['until']) };
      try {
        const page = await reader.listFlows(traceId, query);
        const headers: Record<string, string> = {};
        const oldest = page.flows[page.flows.length - 1];
        if (page.more && oldest) {
          // the next page ends where this one did: the flows of that millisecond may come again
          const next = new URLSearchParams({ limit: String(page.flows.length), until: String(oldest.time.getTime()) });
          if (query.since !== undefined) next.set('since', String(query.since));
          headers['Link'] = `<${ctx.base}/traces/${traceId}/flows?${next.toString()}>; rel="next"`;
        }
        return { status: 200, body: page.flows.map((f) => flowJson(ctx, f)), headers };
      } catch (e) {
        throw httpErrorOf(e);
      }
    },
  },
  {
    method: 'GET',
    path: '/traces/:id/flows/:flowTraceId',
    regime: 'E',
    produces: [FLOW_TRACE, JSON_TYPE],
    async handler(ctx) {
      const traceId = pathId(ctx);
      const flowId = pathId(ctx, 'flowTraceId');
      const reader = await readerFor(ctx, traceId);
      let detail: FlowTraceDetail | undefined;
      try {
        detail = await reader.getFlow(traceId, flowId);
      } catch (e) {
        throw httpErrorOf(e);
      }
      if (!detail) throw notFound(`Trace request ${traceId} has no flow trace ${flowId}.`);
      return { status: 200, body: detailJson(ctx, detail) };
    },
  },
];
