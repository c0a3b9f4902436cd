import { RpcErrorCode, type RpcError, type RpcId, type RpcMessage } from './RpcMessage.js';

export type DecodeResult =
  | { ok: true; message: RpcMessage }
  | { ok: false; id: RpcId | null; error: RpcError };

export function encodeMessage(message: RpcMessage): string {
  return JSON.stringify(message);
}

function isId(value: unknown): value is RpcId {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 200);
}

function isError(value: unknown): value is RpcError {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return typeof e.code === 'string' && typeof e.message === 'string';
}

/**
 * Parses and checks one message. Never throws: a malformed message yields an error that the
 * receiver can send back, with the request's id when one could be read.
 */
export function decodeMessage(text: unknown): DecodeResult {
  if (typeof text !== 'string') {
    return { ok: false, id: null, error: { code: RpcErrorCode.invalid, message: `RPC message must be JSON text, got ${typeof text}` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, id: null, error: { code: RpcErrorCode.parse, message: `RPC message is not valid JSON: ${(err as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, error: { code: RpcErrorCode.invalid, message: 'RPC message must be a JSON object' } };
  }
  const m = value as Record<string, unknown>;
  const id = isId(m.id) ? m.id : null;
  const invalid = (why: string): DecodeResult => ({ ok: false, id, error: { code: RpcErrorCode.invalid, message: why } });
  switch (m.kind) {
    case 'call':
      if (id === null) return invalid('RPC call needs an "id" (number or string)');
      if (typeof m.method !== 'string' || m.method.length === 0) return invalid('RPC call needs a "method" string');
      return { ok: true, message: { kind: 'call', id, method: m.method, params: m.params } };
    case 'result':
      if (id === null) return invalid('RPC result needs an "id"');
      return { ok: true, message: { kind: 'result', id, result: m.result } };
    case 'error':
      if (!isError(m.error)) return invalid('RPC error reply needs an "error" with "code" and "message"');
      return { ok: true, message: { kind: 'error', id, error: m.error } };
    case 'event':
      if (typeof m.event !== 'string') return invalid('RPC event needs an "event" name');
      return { ok: true, message: { kind: 'event', event: m.event, data: m.data } };
    default:
      return invalid(`unknown RPC message kind ${JSON.stringify(m.kind)}: expected call, result, error or event`);
  }
}
