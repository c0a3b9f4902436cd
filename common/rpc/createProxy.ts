/** Anything that can make a call by method name: an RpcClient, or a host adapter. */
export interface Caller {
  call(method: string, params?: unknown): Promise<unknown>;
}

/** A typed view of a remote service: `proxy.startRun(req)` becomes `caller.call('startRun', req)`. */
export function createProxy<T extends object>(caller: Caller): T {
  return new Proxy({} as T, {
    get(_target, property) {
      // 'then' must stay undefined, or awaiting the proxy would call the remote side.
      if (typeof property !== 'string' || property === 'then') return undefined;
      return (params?: unknown) => caller.call(property, params);
    },
  });
}
