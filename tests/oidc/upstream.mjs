// A second, independent OpenID provider (panva's oidc-provider) playing an upstream
// identity provider such as VNeID. It logs in a fixed account without any page and
// asserts its verified ID number in the `id_number` claim.
// Usage: node upstream.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI ACCOUNT ID_NUMBER [bench]
// With "bench" it also issues refresh tokens, as the baseline of bench/identity.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, account, idNumber, mode] = process.argv.slice(2);
const bench = mode === 'bench';
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: bench ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // The benchmark's agency system: the client credentials grant, a service scope.
    ...(bench
      ? [
          {
            client_id: `${clientId}-machine`,
            client_secret: clientSecret,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            scope: 'agency.dossiers.read',
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ]
      : []),
  ],
  claims: { openid: ['sub'], id_number: ['id_number'] },
  scopes: bench ? ['openid', 'id_number', 'agency.dossiers.read'] : ['openid', 'id_number'],
  conformIdTokenClaims: false, // the ID number travels in the ID token
  findAccount: async (ctx, id) => ({
    accountId: id,
    async claims() {
      return { sub: id, id_number: idNumber };
    },
  }),
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['upstream-test-cookie-key'] },
  ...(bench
    ? {
        issueRefreshToken: async () => true,
        rotateRefreshToken: true,
        pkce: { required: () => false },
        features: {
          devInteractions: { enabled: false },
          userinfo: { enabled: true },
          clientCredentials: { enabled: true },
        },
      }
    : {}),
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: account } };
  } else {
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(returnTo);
});

provider.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
