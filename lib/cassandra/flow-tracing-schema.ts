/**
 * Where and how MidoNet agents keep flow traces in Cassandra (facts from the original's
 * FlowTracingSchema; docs/decisions/0013-cassandra-flow-traces.md).
 *
 * An agent that simulates a packet matching an enabled trace request writes, for every log
 * message of the simulation and every matching trace request, one row of `flows` (the flow's
 * match fields; the same row again each time) and one row of `flow_events` (`time` = the
 * Cassandra node's `now()`, the agent's host id, the message):
 *
 *   flows       (traceRequestId uuid, flowTraceId timeuuid, ethSrc varchar, ethDst varchar,
 *                etherType int, networkSrc varchar, networkDst varchar, networkProto int,
 *                srcPort int, dstPort int,
 *                PRIMARY KEY (traceRequestId, flowTraceId)) CLUSTERING ORDER BY (flowTraceId DESC)
 *   flow_events (traceRequestId uuid, flowTraceId uuid, time timeuuid, host uuid, data varchar,
 *                PRIMARY KEY ((traceRequestId, flowTraceId), time)) CLUSTERING ORDER BY (time DESC)
 *
 * The agents create the keyspace `MidonetFlowTracing` (SimpleStrategy, `cassandra.replication_factor`)
 * and these tables with unquoted names, which Cassandra folds to lower case: the keyspace is
 * `midonetflowtracing` and the columns come back as `tracerequestid`, `flowtraceid`, `ethsrc`...
 *
 * The statements are the original's reads, with the table names qualified by the keyspace (the
 * original switched its session to the keyspace with USE instead).
 */

/** The keyspace as Cassandra names it (see above). */
export const FLOW_TRACING_KEYSPACE = 'midonetflowtracing';

const FLOW_COLUMNS = 'traceRequestId, flowTraceId, ethSrc, ethDst, etherType, networkSrc, networkDst, networkProto, srcPort, dstPort';

const FLOWS_IN_WINDOW =
  `SELECT ${FLOW_COLUMNS} FROM MidonetFlowTracing.flows ` + 'WHERE traceRequestId = ? AND flowTraceId >= minTimeuuid(?) AND flowTraceId < maxTimeuuid(?)';

const EVENTS_IN_WINDOW =
  'SELECT time, host, data FROM MidonetFlowTracing.flow_events ' +
  'WHERE traceRequestId = ? AND flowTraceId = ? AND time >= minTimeuuid(?) AND time < maxTimeuuid(?)';

export const FlowTracingCql = {
  /** (traceRequestId, since, until, limit): the flows of a trace request, newest first (the clustering order) */
  flowsNewestFirst: `${FLOWS_IN_WINDOW} LIMIT ?`,
  /** (traceRequestId, flowTraceId): one flow */
  flow: `SELECT ${FLOW_COLUMNS} FROM MidonetFlowTracing.flows WHERE traceRequestId = ? AND flowTraceId = ?`,
  /** (traceRequestId, flowTraceId, since, until, limit): the events of a flow, oldest first */
  eventsOldestFirst: `${EVENTS_IN_WINDOW} ORDER BY time ASC LIMIT ?`,
} as const;

/** The column names rows come back with. */
export const FlowColumn = {
  traceRequestId: 'tracerequestid',
  flowTraceId: 'flowtraceid',
  ethSrc: 'ethsrc',
  ethDst: 'ethdst',
  etherType: 'ethertype',
  networkSrc: 'networksrc',
  networkDst: 'networkdst',
  networkProto: 'networkproto',
  srcPort: 'srcport',
  dstPort: 'dstport',
} as const;
