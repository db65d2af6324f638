// OpenID Connect provider used by the integration and end-to-end tests to
// exercise "Sign in with <provider>" (authorization code flow with PKCE,
// state and nonce).
//
// Usage:
//   node end2end/oidc/provider.mjs --port P --redirect URI [--redirect URI2 ...]
//
// `--port 0` picks a free port. The server listens on 127.0.0.1 only and,
// once it accepts requests, prints exactly one line on stdout:
//
//   issuer http://127.0.0.1:<port>
//
// Everything else (oidc-provider notices and warnings, errors) goes to stderr.
//
// Clients:
//   gatehouse     secret gatehouse-test-secret
//   other-client  secret other-secret
// Both use the redirect URIs given on the command line, the authorization
// code grant, PKCE (S256, required) and client_secret_basic (client_secret_post
// is accepted as well).
//
// Accounts: any email typed in the login form is an account. Its `sub` is
// derived from the lowercased email, `email` is the lowercased email and
// `name` is the part before "@". The local part of the email selects special
// behaviours, so that tests running in parallel do not interfere:
//   unverified.<...>  email_verified is false
//   tampered.<...>    the ID token from the token endpoint has its payload
//                     changed after signing (email becomes someone.else@<domain>),
//                     so its signature no longer verifies
//   audience.<...>    the ID token from the token endpoint is signed again with
//                     the current key, but with aud set to other-client
//
// Every authorization request shows the login form, even when the browser
// already signed in at this provider before; consent is granted automatically.
//
// POST /test/rotate replaces the signing key with a new one (new kid); from
// then on only the new key is published in the JWKS. It answers {"kid": "..."}.
// All state (sessions, codes, grants) lives in memory and survives a rotation.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import { CompactSign, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

// oidc-provider prints its development notices with console.info, which goes
// to stdout. stdout is reserved for the single "issuer ..." line, so route
// every console output to stderr.
for (const method of ['log', 'info', 'debug']) {
  console[method] = (...args) => console.error(...args);
}

const SIGNING_ALG = 'RS256';
const SCOPES = ['openid', 'email', 'profile'];
const COOKIE_NAMES = {
  session: 'testop_session',
  interaction: 'testop_interaction',
  resume: 'testop_resume',
};
// Cookie signing keys stay the same across key rotations, so that cookies set
// before a rotation are still readable afterwards.
const COOKIE_KEYS = [crypto.randomBytes(32).toString('hex')];

function usage(message) {
  if (message) process.stderr.write(`provider.mjs: ${message}\n`);
  process.stderr.write('usage: node provider.mjs --port P --redirect URI [--redirect URI ...]\n');
  process.exit(2);
}

function parseArgs(argv) {
  let port;
  const redirects = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--port') {
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
        usage('--port needs a number between 0 and 65535');
      }
      port = Number(value);
      i += 1;
    } else if (arg === '--redirect') {
      if (value === undefined || !URL.canParse(value)) usage('--redirect needs an absolute URI');
      redirects.push(value);
      i += 1;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (port === undefined) usage('--port is required');
  if (redirects.length === 0) usage('at least one --redirect is required');
  return { port, redirects };
}

const { port: requestedPort, redirects } = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------
// Accounts

// accountId -> lowercased email, filled when someone signs in.
const accounts = new Map();

function accountIdFor(email) {
  const digest = crypto.createHash('sha256').update(email).digest('hex');
  return `user-${digest.slice(0, 16)}`;
}

function normalizeEmail(input) {
  if (typeof input !== 'string') return undefined;
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@<>"]+@[^\s@<>"]+$/.test(email)) return undefined;
  return email;
}

function localPart(email) {
  return email.slice(0, email.lastIndexOf('@'));
}

function domainPart(email) {
  return email.slice(email.lastIndexOf('@') + 1);
}

function claimsFor(accountId) {
  const email = accounts.get(accountId);
  if (email === undefined) return { sub: accountId };
  return {
    sub: accountId,
    email,
    email_verified: !localPart(email).startsWith('unverified.'),
    name: localPart(email),
  };
}

async function findAccount(_ctx, accountId) {
  if (!accounts.has(accountId)) return undefined;
  return {
    accountId,
    async claims() {
      return claimsFor(accountId);
    },
  };
}

// Consent is never asked for: the grant covers every supported scope the
// client requested, plus any claims requested through the claims parameter.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== oidc.session.accountId) {
    grant = new oidc.provider.Grant({
      accountId: oidc.session.accountId,
      clientId: oidc.client.clientId,
    });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' ') || 'openid');
  const requestedClaims = [...oidc.requestParamClaims];
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  await grant.save();
  return grant;
}

// ---------------------------------------------------------------------------
// Storage

// All provider instances (one per signing key, see /test/rotate) share one
// in-memory store, so sessions, pending sign-ins, codes and grants outlive a
// key rotation. Entries expire after the lifetime oidc-provider gives them.
const store = new Map(); // "Model:id" -> { payload, expiresAt }
const sessionsByUid = new Map(); // session uid -> session id
const keysByUserCode = new Map(); // user code -> "Model:id"
const keysByGrant = new Map(); // grant id -> Set of "Model:id"

function liveEntry(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    removeEntry(key);
    return undefined;
  }
  return entry;
}

function removeEntry(key) {
  const entry = store.get(key);
  if (!entry) return;
  store.delete(key);
  const { payload } = entry;
  if (payload.uid && sessionsByUid.get(payload.uid) === key) sessionsByUid.delete(payload.uid);
  if (payload.userCode && keysByUserCode.get(payload.userCode) === key) keysByUserCode.delete(payload.userCode);
  if (payload.grantId) keysByGrant.get(payload.grantId)?.delete(key);
}

setInterval(() => {
  for (const key of [...store.keys()]) liveEntry(key);
  for (const [grantId, keys] of keysByGrant) if (keys.size === 0) keysByGrant.delete(grantId);
}, 60_000).unref();

class SharedMemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    removeEntry(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    store.set(key, { payload, expiresAt });
    if (this.model === 'Session' && payload.uid) sessionsByUid.set(payload.uid, key);
    if (payload.userCode) keysByUserCode.set(payload.userCode, key);
    if (payload.grantId) {
      if (!keysByGrant.has(payload.grantId)) keysByGrant.set(payload.grantId, new Set());
      keysByGrant.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    return liveEntry(this.key(id))?.payload;
  }

  async findByUid(uid) {
    const key = sessionsByUid.get(uid);
    return key ? liveEntry(key)?.payload : undefined;
  }

  async findByUserCode(userCode) {
    const key = keysByUserCode.get(userCode);
    return key ? liveEntry(key)?.payload : undefined;
  }

  async consume(id) {
    const entry = liveEntry(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    removeEntry(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const keys = keysByGrant.get(grantId);
    if (!keys) return;
    keysByGrant.delete(grantId);
    for (const key of keys) removeEntry(key);
  }
}

// ---------------------------------------------------------------------------
// Signing keys

function generateSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    ...jwk,
    kid: `key-${crypto.randomBytes(8).toString('hex')}`,
    alg: SIGNING_ALG,
    use: 'sig',
  };
}

// ---------------------------------------------------------------------------
// ID token rewrites for the tampered. and audience. accounts

function encodeSegment(object) {
  return Buffer.from(JSON.stringify(object)).toString('base64url');
}

function tamperPayload(idToken, payload) {
  const [header, , signature] = idToken.split('.');
  const altered = { ...payload, email: `someone.else@${domainPart(payload.email)}` };
  return `${header}.${encodeSegment(altered)}.${signature}`;
}

async function resignWithOtherAudience(idToken, payload, signingJwk) {
  const header = decodeProtectedHeader(idToken);
  const key = await importJWK(signingJwk, SIGNING_ALG);
  const altered = { ...payload, aud: 'other-client' };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(altered)))
    .setProtectedHeader(header)
    .sign(key);
}

function idTokenRewrites(signingJwk) {
  return async function rewriteIdToken(ctx, next) {
    await next();
    if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
    const body = ctx.body;
    if (!body || typeof body !== 'object' || typeof body.id_token !== 'string') return;

    const payload = decodeJwt(body.id_token);
    if (typeof payload.email !== 'string') return;
    const local = localPart(payload.email);
    if (local.startsWith('tampered.')) {
      body.id_token = tamperPayload(body.id_token, payload);
    } else if (local.startsWith('audience.')) {
      body.id_token = await resignWithOtherAudience(body.id_token, payload, signingJwk);
    }
  };
}

// ---------------------------------------------------------------------------
// Provider instances

function buildProvider(issuer, signingJwk) {
  const clientDefaults = {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: redirects,
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: SIGNING_ALG,
  };

  const provider = new Provider(issuer, {
    clients: [
      { ...clientDefaults, client_id: 'gatehouse', client_secret: 'gatehouse-test-secret' },
      { ...clientDefaults, client_id: 'other-client', client_secret: 'other-secret' },
    ],
    adapter: SharedMemoryAdapter,
    jwks: { keys: [signingJwk] },
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put the scope-requested claims into the ID token even though an access
    // token is issued as well.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    findAccount,
    loadExistingGrant,
    cookies: {
      names: COOKIE_NAMES,
      keys: COOKIE_KEYS,
      // No `secure` flag: the provider is only reached over plain http.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    features: {
      devInteractions: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 120,
      IdToken: 3600,
      Interaction: 1800,
      Session: 3600,
      Grant: 3600,
    },
    clientBasedCORS: () => false,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const items = Object.entries(out)
        .map(([key, value]) => `<li><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</li>`)
        .join('');
      ctx.body = page('Test provider error', `<h1>Test provider</h1><p>Something went wrong.</p><ul>${items}</ul>`);
    },
  });

  provider.use(idTokenRewrites(signingJwk));
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`provider server_error: ${err?.stack ?? err}\n`);
  });

  return provider;
}

// ---------------------------------------------------------------------------
// HTML

function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
</head>
<body>
${body}
</body>
</html>
`;
}

function loginPage(uid, { error, value = '' } = {}) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  const errorHtml = error ? `<p role="alert" id="error">${escapeHtml(error)}</p>\n` : '';
  return page('Test provider sign-in', `<h1>Test provider</h1>
${errorHtml}<form method="post" action="${escapeHtml(action)}">
<label for="login">Email</label>
<input id="login" name="login" type="email" value="${escapeHtml(value)}" autofocus>
<button type="submit">Sign in</button>
</form>`);
}

function send(res, status, contentType, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function sendHtml(res, status, body) {
  send(res, status, 'text/html; charset=utf-8', body);
}

function sendJson(res, status, object, headers) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(object), headers);
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------
// Login interaction

// Returns the pending interaction when the request belongs to it, otherwise
// answers with an error page and returns undefined.
async function pendingInteraction(provider, req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    details = undefined;
  }
  if (!details || details.uid !== uid) {
    sendHtml(res, 400, page('Test provider', '<h1>Test provider</h1><p role="alert">This sign-in request is unknown or has expired. Start signing in again.</p>'));
    return undefined;
  }
  return details;
}

async function showLogin(provider, req, res, uid) {
  if (!(await pendingInteraction(provider, req, res, uid))) return;
  sendHtml(res, 200, loginPage(uid));
}

async function submitLogin(provider, req, res, uid) {
  const form = new URLSearchParams(await readBody(req));
  if (!(await pendingInteraction(provider, req, res, uid))) return;

  const typed = form.get('login') ?? '';
  const email = normalizeEmail(typed);
  if (!email) {
    const error = typed.trim() ? 'Enter a valid email address.' : 'Enter an email address.';
    sendHtml(res, 200, loginPage(uid, { error, value: typed }));
    return;
  }

  const accountId = accountIdFor(email);
  accounts.set(accountId, email);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId } },
    { mergeWithLastSubmission: false },
  );
}

// ---------------------------------------------------------------------------
// HTTP server

const state = {
  issuer: undefined,
  provider: undefined,
  handler: undefined,
  kid: undefined,
};

function installProvider(signingJwk) {
  const provider = buildProvider(state.issuer, signingJwk);
  state.provider = provider;
  state.handler = provider.callback();
  state.kid = signingJwk.kid;
}

// The authorization endpoint never sees the provider's own session cookie, so
// each sign-in shows the login form and signs in whichever email is typed,
// instead of silently reusing (or logging out of) an earlier sign-in made in
// the same browser.
function dropSessionCookie(req) {
  const header = req.headers.cookie;
  if (!header) return;
  const names = new Set([COOKIE_NAMES.session, `${COOKIE_NAMES.session}.sig`]);
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !names.has(part.slice(0, part.indexOf('=') === -1 ? undefined : part.indexOf('='))));
  if (kept.length) {
    req.headers.cookie = kept.join('; ');
  } else {
    delete req.headers.cookie;
  }
}

async function route(req, res) {
  const { pathname } = new URL(req.url, 'http://127.0.0.1');
  const provider = state.provider;

  if (!provider) {
    sendJson(res, 503, { error: 'starting' });
    return;
  }

  const interaction = /^\/interaction\/([^/]+)(\/login)?$/.exec(pathname);
  if (interaction) {
    const uid = decodeURIComponent(interaction[1]);
    if (!interaction[2] && req.method === 'GET') {
      await showLogin(provider, req, res, uid);
    } else if (interaction[2] && req.method === 'POST') {
      await submitLogin(provider, req, res, uid);
    } else {
      sendHtml(res, 405, page('Test provider', '<h1>Test provider</h1><p>Method not allowed.</p>'));
    }
    return;
  }

  if (pathname === '/test/rotate') {
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'POST' });
      return;
    }
    installProvider(generateSigningKey());
    sendJson(res, 200, { kid: state.kid });
    return;
  }

  if (pathname === '/auth' || pathname.startsWith('/auth/')) {
    dropSessionCookie(req);
  }
  state.handler(req, res);
}

const server = http.createServer((req, res) => {
  route(req, res).catch((err) => {
    process.stderr.write(`provider error: ${err?.stack ?? err}\n`);
    if (!res.headersSent) {
      sendHtml(res, 400, page('Test provider', '<h1>Test provider</h1><p role="alert">The request could not be handled.</p>'));
    } else {
      res.destroy();
    }
  });
});

server.on('error', (err) => {
  process.stderr.write(`provider: cannot listen: ${err.message}\n`);
  process.exit(1);
});

server.listen(requestedPort, '127.0.0.1', () => {
  const { port } = server.address();
  state.issuer = `http://127.0.0.1:${port}`;
  installProvider(generateSigningKey());
  process.stdout.write(`issuer ${state.issuer}\n`);
});

function shutdown() {
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}

process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
