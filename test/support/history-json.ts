// Temporal histories to and from their JSON form (what `temporal workflow show --output json`
// writes), for the replay test and scripts/record-histories.ts.
//
// The SDK's own historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils) fail in
// this install with "type must be a Type": npm gave @temporalio/common and @temporalio/proto
// each their own copy of protobufjs 8 (the top level holds grpc's protobufjs 7), and protojson
// checks `instanceof Type` against its own copy. The fallback runs the same conversion with
// the protobufjs copy that @temporalio/proto's message types come from. Once the copies are one
// again (a deduplicated install), the SDK's functions are used.
import { createRequire } from 'node:module';
import { historyFromJSON as sdkHistoryFromJSON, historyToJSON as sdkHistoryToJSON, type History } from '@temporalio/common/lib/proto-utils.js';

export type { History };

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

interface Fallback {
  protojson: ProtoJson;
  historyType: unknown;
  History: { fromObject(history: History): unknown };
}

let fallback: Fallback | undefined;
function protoCopy(): Fallback {
  if (!fallback) {
    const require = createRequire(import.meta.url);
    const proto = require('@temporalio/proto') as { temporal: { api: { history: { v1: { History: Fallback['History'] } } } } };
    const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
      patchProtobufRoot: (root: unknown) => { lookupType(name: string): unknown };
    };
    const fromProto = createRequire(require.resolve('@temporalio/proto'));
    fallback = {
      protojson: fromProto('protobufjs/ext/protojson') as ProtoJson,
      historyType: patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History'),
      History: proto.temporal.api.history.v1.History,
    };
  }
  return fallback;
}

const isTypeMismatch = (error: unknown) => error instanceof TypeError && error.message === 'type must be a Type';

export function historyToJSON(history: History): string {
  try {
    return sdkHistoryToJSON(history);
  } catch (error) {
    if (!isTypeMismatch(error)) throw error;
    const { protojson, historyType, History } = protoCopy();
    return JSON.stringify(protojson.toJson(historyType, History.fromObject(history)), null, 2);
  }
}

/** Loads a JSON history written by historyToJSON (or by Temporal's CLI and UI). */
export function historyFromJSON(json: unknown): History {
  try {
    return sdkHistoryFromJSON(json);
  } catch (error) {
    if (!isTypeMismatch(error)) throw error;
    const { protojson, historyType } = protoCopy();
    return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
  }
}
