import { describe, expect, it } from 'vitest';
import { MemoryTransport, RpcCallError, RpcClient, RpcServer, ServiceError, createProxy, decodeMessage } from '../../../common/rpc/index.js';

interface ICalc {
  add(p: { a: number; b: number }): Promise<number>;
  fail(): Promise<void>;
}

class Calc implements ICalc {
  async add({ a, b }: { a: number; b: number }): Promise<number> {
    return a + b;
  }
  async fail(): Promise<void> {
    throw new ServiceError('NOPE', 'this always fails', { why: 'test' });
  }
}

function connect() {
  const [clientSide, serverSide] = MemoryTransport.pair();
  const server = new RpcServer(serverSide, new Calc());
  const client = new RpcClient(clientSide);
  return { server, client, clientSide, serverSide, calc: createProxy<ICalc>(client) };
}

/** Sends raw text to a server and returns the first reply. */
function rawReply(clientSide: MemoryTransport, text: string): Promise<unknown> {
  return new Promise((resolve) => {
    const sub = clientSide.onMessage((reply) => {
      sub.dispose();
      resolve(JSON.parse(reply));
    });
    clientSide.send(text);
  });
}

describe('RPC', () => {
  it('calls methods through a typed proxy and gets results', async () => {
    const { calc } = connect();
    await expect(calc.add({ a: 2, b: 3 })).resolves.toBe(5);
  });

  it('turns a service error into {code, message, details} for the caller', async () => {
    const { calc } = connect();
    const err = await calc.fail().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcCallError);
    expect(err).toMatchObject({ code: 'NOPE', message: 'this always fails', details: { why: 'test' } });
  });

  it('answers an unknown method, and never exposes Object.prototype or the constructor', async () => {
    const { client } = connect();
    for (const method of ['nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      await expect(client.call(method)).rejects.toMatchObject({ code: 'RPC_UNKNOWN_METHOD' });
    }
  });

  it('answers malformed messages with an error and keeps serving', async () => {
    const { clientSide, calc } = connect();
    expect(await rawReply(clientSide, '{not json')).toMatchObject({ kind: 'error', id: null, error: { code: 'RPC_PARSE_ERROR' } });
    expect(await rawReply(clientSide, '[1,2]')).toMatchObject({ kind: 'error', error: { code: 'RPC_INVALID_MESSAGE' } });
    expect(await rawReply(clientSide, '{"kind":"call","id":7}')).toMatchObject({ kind: 'error', id: 7, error: { code: 'RPC_INVALID_MESSAGE' } });
    expect(await rawReply(clientSide, '{"kind":"shout","id":8}')).toMatchObject({ kind: 'error', id: 8 });
    await expect(calc.add({ a: 1, b: 1 })).resolves.toBe(2);
  });

  it('delivers events to the client', async () => {
    const { server, client } = connect();
    const got = new Promise((resolve) => client.onEvent((event, data) => resolve({ event, data })));
    server.emit('run.didMetrics', { points: [1] });
    await expect(got).resolves.toEqual({ event: 'run.didMetrics', data: { points: [1] } });
  });

  it('fails calls in flight when the connection closes', async () => {
    const [clientSide] = MemoryTransport.pair(); // no server: the call never gets an answer
    const client = new RpcClient(clientSide);
    const call = client.call('add', { a: 1, b: 2 });
    clientSide.close();
    await expect(call).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED' });
    await expect(client.call('add')).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED' });
  });

  it('decodes only well-formed messages', () => {
    expect(decodeMessage(42).ok).toBe(false);
    expect(decodeMessage('{"kind":"event"}').ok).toBe(false);
    expect(decodeMessage('{"kind":"error","id":1,"error":{"code":"X"}}').ok).toBe(false);
    expect(decodeMessage('{"kind":"result","id":"a","result":null}')).toEqual({ ok: true, message: { kind: 'result', id: 'a', result: null } });
  });
});
