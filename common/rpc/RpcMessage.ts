/** Wire messages of Kiln's RPC: one JSON text per message, the same on every transport. */

export type RpcId = number | string;

/** Errors that cross a process: plain data, never thrown class instances. */
export interface RpcError {
  code: string;
  message: string;
  details?: unknown;
}

export interface RpcCall {
  kind: 'call';
  id: RpcId;
  method: string;
  params?: unknown;
}

export interface RpcResult {
  kind: 'result';
  id: RpcId;
  result?: unknown;
}

export interface RpcErrorReply {
  kind: 'error';
  /** null when the request was too malformed to carry an id. */
  id: RpcId | null;
  error: RpcError;
}

export interface RpcEvent {
  kind: 'event';
  event: string;
  data?: unknown;
}

export type RpcMessage = RpcCall | RpcResult | RpcErrorReply | RpcEvent;

/** Error codes produced by the RPC layer itself (services add their own). */
export const RpcErrorCode = {
  parse: 'RPC_PARSE_ERROR',
  invalid: 'RPC_INVALID_MESSAGE',
  noMethod: 'RPC_UNKNOWN_METHOD',
  internal: 'INTERNAL_ERROR',
  closed: 'RPC_CONNECTION_CLOSED',
} as const;
