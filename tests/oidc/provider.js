// A real OpenID Connect provider for Folio's SSO tests: panva's certified oidc-provider,
// one confidential client, a few known accounts with passwords, and plain HTML login and
// consent forms (the tests submit them as a browser would).
//
//   node provider.js --port N --issuer URL --client-id ID --client-secret SECRET \
//        --redirect-uri URL [--post-logout-redirect-uri URL] --accounts JSON \
//        [--claims-at-userinfo]
//
// --accounts maps a login name to { "password": "...", "claims": { "email": ..., ... } };
// the login name is the subject (`sub`). Every claim is put in the ID token, unless
// --claims-at-userinfo: then the ID token carries only `sub` (and the protocol's own
// claims) and the rest are given only at the userinfo endpoint, as some providers do.
// Test control: POST /__test/clock?offset=SECONDS shifts the clock the token endpoint
// uses, so the ID tokens it issues are already expired (offset < 0).

import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'post-logout-redirect-uri': { type: 'string' },
    accounts: { type: 'string' },
    'claims-at-userinfo': { type: 'boolean' },
  },
});

const accounts = JSON.parse(args.accounts || '{}');
const claimNames = new Set(['sub']);
for (const account of Object.values(accounts)) {
  for (const name of Object.keys(account.claims || {})) claimNames.add(name);
}

// A fresh signing key per process: a restarted provider has rotated its keys.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const configuration = {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: [args['redirect-uri']],
    post_logout_redirect_uris: args['post-logout-redirect-uri'] ? [args['post-logout-redirect-uri']] : [],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // Every scope the tests ask for carries all of the account's claims.
  claims: {
    openid: ['sub'],
    email: [...claimNames],
    profile: [...claimNames],
    groups: [...claimNames],
  },
  // Put the claims in the ID token (the relying party reads them from there), or, with
  // --claims-at-userinfo, only at userinfo (OpenID Connect Core 5.4).
  conformIdTokenClaims: Boolean(args['claims-at-userinfo']),
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() { return { sub, ...account.claims }; },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><pre>${escape(JSON.stringify(out))}</pre>`;
  },
};

const provider = new Provider(args.issuer, configuration);
const realNow = Date.now;
let clockOffset = 0;

const page = (title, body) => `<!doctype html><html><head><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return querystring.parse(Buffer.concat(chunks).toString('utf8'));
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/clock' && ctx.method === 'POST') {
    clockOffset = Number(ctx.query.offset || 0);
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/token' && clockOffset !== 0) {
    Date.now = () => realNow() + clockOffset * 1000;
    try { await next(); } finally { Date.now = realNow; }
    return;
  }
  const m = ctx.path.match(/^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/);
  if (!m) { await next(); return; }
  const [, uid, action] = m;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const { prompt, params } = details;
  if (!action && ctx.method === 'GET') {
    ctx.type = 'html';
    if (prompt.name === 'login') {
      const error = ctx.query.error ? `<p class="error">${escape(ctx.query.error)}</p>` : '';
      ctx.body = page('Sign in', `${error}
<form method="post" action="/interaction/${uid}/login">
  <input type="text" name="login" value="${escape(params.login_hint || '')}">
  <input type="password" name="password">
  <button type="submit">Sign in</button>
</form>
<a href="/interaction/${uid}/abort">Cancel</a>`);
    } else {
      ctx.body = page('Allow access', `
<p>${escape(params.client_id)} asks for: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${uid}/confirm">
  <button type="submit" name="decision" value="allow">Allow</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`);
    }
    return;
  }
  if (action === 'login' && ctx.method === 'POST') {
    const form = await readForm(ctx.req);
    const account = accounts[form.login];
    if (!account || account.password !== form.password) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${uid}?error=${encodeURIComponent('wrong login or password')}`);
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: form.login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'confirm' && ctx.method === 'POST') {
    await readForm(ctx.req);
    const { grantId, session } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scope] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scope.join(' '));
      }
    }
    const id = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: id } }, { mergeWithLastSubmission: true });
    return;
  }
  if (action === 'abort') {
    if (ctx.method === 'POST') await readForm(ctx.req);
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});

provider.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`oidc-provider ${args.issuer} listening`);
});
