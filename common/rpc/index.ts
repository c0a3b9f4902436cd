export * from './RpcMessage.js';
export * from './codec.js';
export * from './Transport.js';
export * from './MemoryTransport.js';
export * from './RpcServer.js';
export * from './RpcClient.js';
export * from './createProxy.js';
