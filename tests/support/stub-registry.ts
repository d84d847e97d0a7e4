import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback server that rejects every request with 401, standing in for the registry in tests that push nothing. */
export interface StubRegistry {
  readonly url: string;
  readonly password: string;
  stop(): Promise<void>;
}

export async function startStubRegistry(): Promise<StubRegistry> {
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="stub"' });
    response.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'stub registry' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    password: 'stub-registry-password',
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
