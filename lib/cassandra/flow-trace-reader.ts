/**
 * Reads the flow traces that agents write to Cassandra (./flow-tracing-schema.ts), for
 * `GET /traces/{id}/flows` and `GET /traces/{id}/flows/{flowTraceId}`. Read-only: it never
 * creates the keyspace or the tables. While no agent has created them yet, there is nothing
 * traced: a list is empty and a flow is not found.
 */
import { types } from 'cassandra-driver';
import { CassandraSession, type CassandraSessionOptions, type CassandraStatus } from './session.js';
import { FLOW_TRACING_KEYSPACE, FlowColumn, FlowTracingCql } from './flow-tracing-schema.js';

export const DEFAULT_FLOW_LIMIT = 100;
export const MAX_FLOW_LIMIT = 1000;
export const DEFAULT_MAX_EVENTS = 1000;

/** A traced flow: the match fields an agent recorded for it. */
export interface FlowTrace {
  traceRequestId: string;
  flowTraceId: string;
  /** when an agent began tracing the flow (the time of flowTraceId, a version-1 UUID) */
  time: Date;
  ethSrc: string | null;
  ethDst: string | null;
  etherType: number | null;
  networkSrc: string | null;
  networkDst: string | null;
  networkProto: number | null;
  srcPort: number | null;
  dstPort: number | null;
}

/** One message of the simulation of a traced flow, on one host. */
export interface FlowTraceEvent {
  /** when the Cassandra node stored it (`now()` at insertion) */
  time: Date;
  /** the event's timeuuid, unique within the flow */
  eventId: string;
  /** the agent's host id */
  host: string | null;
  data: string | null;
}

export interface FlowTracePage {
  /** newest first */
  flows: FlowTrace[];
  /** more flows match the window than `limit` */
  more: boolean;
}

export interface FlowTraceDetail {
  flow: FlowTrace;
  /** oldest first */
  events: FlowTraceEvent[];
  /** the hosts of the events, in order of their first event (the flows table has no host) */
  hosts: string[];
  /** the flow has more events than `maxEvents` (the newest are left out) */
  moreEvents: boolean;
}

export interface ListFlowsQuery {
  /** 1..MAX_FLOW_LIMIT, default DEFAULT_FLOW_LIMIT */
  limit?: number;
  /** flows traced at or after this time (default: the epoch) */
  since?: Date | number;
  /** flows traced at or before this millisecond (default: now) */
  until?: Date | number;
}

/** A query the reader refuses before asking Cassandra (the REST layer answers 400). */
export class FlowTraceArgumentError extends Error {
  override name = 'FlowTraceArgumentError';
}

export interface FlowTraceReaderOptions extends CassandraSessionOptions {
  /** most events returned for one flow (default DEFAULT_MAX_EVENTS) */
  maxEvents?: number;
}

type Row = types.Row;

export class FlowTraceReader {
  private readonly session: CassandraSession;
  private readonly maxEvents: number;

  constructor(opts: FlowTraceReaderOptions) {
    this.session = new CassandraSession(opts);
    this.maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  }

  /** The flows of a trace request in a time window, newest first. */
  async listFlows(traceRequestId: string, query: ListFlowsQuery = {}): Promise<FlowTracePage> {
    const trace = uuidArg('trace request id', traceRequestId);
    const limit = query.limit ?? DEFAULT_FLOW_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FLOW_LIMIT) {
      throw new FlowTraceArgumentError(`limit must be an integer from 1 to ${MAX_FLOW_LIMIT}`);
    }
    const since = timeArg('since', query.since, new Date(0));
    const until = timeArg('until', query.until, new Date());
    if (since.getTime() > until.getTime()) throw new FlowTraceArgumentError('since is later than until');
    return this.session.run('list_flows', async (cql) => {
      if (!(await cql.hasKeyspace(FLOW_TRACING_KEYSPACE))) return { flows: [], more: false };
      // one more than asked, to tell whether there are more
      const rs = await cql.execute(FlowTracingCql.flowsNewestFirst, [trace, since, until, limit + 1], { fetchSize: limit + 1 });
      const flows = rs.rows.map(flowOf);
      return { flows: flows.slice(0, limit), more: flows.length > limit };
    });
  }

  /** One flow of a trace request with its events, or undefined if there is no such flow. */
  async getFlow(traceRequestId: string, flowTraceId: string): Promise<FlowTraceDetail | undefined> {
    const trace = uuidArg('trace request id', traceRequestId);
    const flow = uuidArg('flow trace id', flowTraceId);
    // flowTraceId is a timeuuid column: no other kind of UUID can name a flow (Cassandra would refuse it)
    if (flow.getBuffer()[6] >> 4 !== 1) return undefined;
    const until = new Date();
    return this.session.run('get_flow', async (cql) => {
      if (!(await cql.hasKeyspace(FLOW_TRACING_KEYSPACE))) return undefined;
      const limit = this.maxEvents + 1;
      const [flowRs, eventsRs] = await Promise.all([
        cql.execute(FlowTracingCql.flow, [trace, flow]),
        cql.execute(FlowTracingCql.eventsOldestFirst, [trace, flow, new Date(0), until, limit], { fetchSize: limit }),
      ]);
      const row = flowRs.first();
      if (!row) return undefined;
      const events = eventsRs.rows.map(eventOf);
      const shown = events.slice(0, this.maxEvents);
      const hosts = [...new Set(shown.map((e) => e.host).filter((h): h is string => h !== null))];
      return { flow: flowOf(row), events: shown, hosts, moreEvents: events.length > this.maxEvents };
    });
  }

  status(): CassandraStatus {
    return this.session.status();
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

function uuidArg(what: string, value: string): types.Uuid {
  try {
    return types.Uuid.fromString(value);
  } catch {
    throw new FlowTraceArgumentError(`${what} is not a UUID: ${JSON.stringify(value)}`);
  }
}

function timeArg(what: string, value: Date | number | undefined, dflt: Date): Date {
  if (value === undefined) return dflt;
  const d = value instanceof Date ? value : new Date(value);
  if (!Number.isFinite(d.getTime()) || d.getTime() < 0) throw new FlowTraceArgumentError(`${what} is not a time since the epoch`);
  return d;
}

function str(row: Row, column: string): string | null {
  const v: unknown = row.get(column);
  return v === null || v === undefined ? null : String(v);
}

function int(row: Row, column: string): number | null {
  const v: unknown = row.get(column);
  return typeof v === 'number' ? v : null;
}

function flowOf(row: Row): FlowTrace {
  const id = row.get(FlowColumn.flowTraceId) as types.TimeUuid;
  return {
    traceRequestId: String(row.get(FlowColumn.traceRequestId)),
    flowTraceId: id.toString(),
    time: id.getDate(),
    ethSrc: str(row, FlowColumn.ethSrc),
    ethDst: str(row, FlowColumn.ethDst),
    etherType: int(row, FlowColumn.etherType),
    networkSrc: str(row, FlowColumn.networkSrc),
    networkDst: str(row, FlowColumn.networkDst),
    networkProto: int(row, FlowColumn.networkProto),
    srcPort: int(row, FlowColumn.srcPort),
    dstPort: int(row, FlowColumn.dstPort),
  };
}

function eventOf(row: Row): FlowTraceEvent {
  const time = row.get('time') as types.TimeUuid;
  return { time: time.getDate(), eventId: time.toString(), host: str(row, 'host'), data: str(row, 'data') };
}
