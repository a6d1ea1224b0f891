// A real OpenID Connect provider (the `oidc-provider` package) on a loopback port, for tests.
// Its development login page accepts any login; a login containing '@' is also the email claim.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  tokenEndpoint: string;
  /** Header and claims of every client assertion the provider accepted (private_key_jwt). */
  assertions: { header: Record<string, unknown>; claims: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * How the provider expects Signpost to authenticate at its token endpoint: the client secret
 * (default), or private_key_jwt checked against these public keys with this algorithm.
 */
export type TestClientAuthentication = { privateKeyJwt: { keys: JWK[]; alg: string } } | undefined;

/** A free loopback port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOidcProvider(redirectUri: string, authentication?: TestClientAuthentication): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'signpost-test';
  const clientSecret = 'signpost-test-client-secret-0123456789abcdef';
  // The provider warns on every start that development keys and login pages are in use, which is
  // the point here; keep test output readable.
  const warn = console.warn;
  console.warn = () => {};
  const assertions: TestProvider['assertions'] = [];
  const clientAuthentication = (
    authentication
      ? {
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: authentication.privateKeyJwt.alg,
          jwks: { keys: authentication.privateKeyJwt.keys },
        }
      : { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_post' }
  ) as Partial<ClientMetadata>;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        ...clientAuthentication,
      },
    ],
    enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] },
    // Called only once the assertion's signature, issuer, audience and expiry have been checked.
    async assertJwtClientAuthClaimsAndHeader(_ctx: unknown, claims: Record<string, unknown>, header: Record<string, unknown>) {
      assertions.push({ header, claims });
    },
    async findAccount(_ctx: unknown, sub: string) {
      return {
        accountId: sub,
        async claims() {
          return sub.includes('@') ? { sub, email: sub, email_verified: true } : { sub };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    cookies: { keys: ['test-cookie-key-for-the-provider-only'] },
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  console.warn = warn;
  provider.on('server_error', () => {});
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    tokenEndpoint: `${issuer}/token`,
    assertions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Follows an authorisation URL through the provider's development login and consent pages, as a
 * browser would without JavaScript, and returns the redirect back to Signpost (code and state).
 */
export async function signInAtProvider(authorisationUrl: string, login: string, redirectUri: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = authorisationUrl;
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 12; step++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(url, { method: body ? 'POST' : 'GET', body, redirect: 'manual', headers: { cookie } });
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) return next;
      url = next.href;
      body = undefined;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`the provider showed a page with no login or consent form (status ${res.status})`);
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
    url = new URL(action, url).href;
  }
  throw new Error('the provider did not send the browser back to Signpost');
}
