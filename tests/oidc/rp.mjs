// An independent relying party: panva's openid-client against PostID over loopback.
// Protocol with the Python test (JSON lines): we print {"authorize": url}; the test logs
// the user in and sends back {"callback": url}; we print {"result": {...}} or {"error"}.
import * as client from 'openid-client';
import { createInterface } from 'node:readline';

const [issuer, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

try {
  const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
  });
  // Verify ID-token signatures against the provider's JWKS (not only TLS trust).
  client.enableNonRepudiationChecks(config);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email phone',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  say({ authorize: url.href });
  const { callback } = JSON.parse(await nextLine());
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  say({
    result: {
      issuer: config.serverMetadata().issuer,
      claims,
      userinfo,
      refreshed_sub: refreshed.claims()?.sub,
      rotated: refreshed.refresh_token !== tokens.refresh_token,
    },
  });
} catch (error) {
  say({ error: `${error.name}: ${error.message} ${error.code ?? ''} ${error.error ?? ''}` });
} finally {
  lines.close();
}
