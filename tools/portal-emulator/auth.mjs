// Credentials of the emulated portal: incoming webhooks (a user id and a secret in the
// URL) and OAuth tokens (an access token in the `auth` parameter, renewed with a
// refresh token).

import { randomBytes } from "node:crypto";

/** Scopes that the emulator supports. A webhook or token created without a scope list gets all of them. */
export const KNOWN_SCOPES = Object.freeze(["app", "configuration.import", "crm", "placement", "user"]);

// Bitrix24 refresh tokens live 180 days.
const REFRESH_TOKEN_LIFETIME_MS = 180 * 24 * 60 * 60 * 1000;
const MAX_LIFETIME_MS = REFRESH_TOKEN_LIFETIME_MS;
const SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** An invalid argument to createWebhook or issueToken; the message names it. */
export class CredentialsError extends Error {
  constructor(message) {
    super(message);
    this.name = "CredentialsError";
  }
}

/** Webhooks and OAuth tokens, with their scopes and expiry times. */
export class AuthRegistry {
  #webhooks = new Map();
  #accessTokens = new Map();
  #refreshTokens = new Map();
  #clock;
  #tokenLifetimeMs;
  #domain;
  #memberId = randomBytes(16).toString("hex");
  #refreshCount = 0;

  /** `domain` is a function, because the port is known only after the server listens. */
  constructor({ clock, tokenLifetimeMs, domain }) {
    this.#clock = clock;
    this.#tokenLifetimeMs = tokenLifetimeMs;
    this.#domain = domain;
  }

  /**
   * Creates a webhook and returns `{ userId, secret }`. The secret has the form of a
   * real one: 16 lowercase letters and digits.
   */
  createWebhook({ scopes, userId = 1 } = {}) {
    if (!Number.isSafeInteger(userId) || userId < 1) {
      throw new CredentialsError(`userId must be a positive integer, got ${JSON.stringify(userId)}`);
    }
    const secret = Array.from(randomBytes(16), (byte) => SECRET_ALPHABET[byte % SECRET_ALPHABET.length]).join("");
    this.#webhooks.set(secret, { userId: String(userId), scopes: readScopes(scopes) });
    return { userId, secret };
  }

  /** Returns the scopes of a webhook, or null when the user id and secret do not match one. */
  findWebhook(userId, secret) {
    const webhook = this.#webhooks.get(secret);
    return webhook !== undefined && webhook.userId === userId ? webhook.scopes : null;
  }

  /**
   * Issues an OAuth token pair and returns it in the form `BX24.getAuth()` uses:
   * `{ access_token, refresh_token, expires_in, domain, member_id }`, where
   * `expires_in` is in whole seconds, rounded up.
   */
  issueToken({ scopes, lifetimeMs } = {}) {
    const lifetime = lifetimeMs ?? this.#tokenLifetimeMs;
    if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > MAX_LIFETIME_MS) {
      throw new CredentialsError(`lifetimeMs must be an integer from 1 to ${MAX_LIFETIME_MS}, got ${JSON.stringify(lifetimeMs)}`);
    }
    return this.#issue(readScopes(scopes), lifetime);
  }

  /**
   * Exchanges a refresh token for a new token pair with the same scopes and lifetime.
   * The refresh token is used up. Returns null for an unknown, used or expired one.
   * Access tokens issued before stay valid until they expire.
   */
  refreshToken(refreshToken) {
    const entry = this.#refreshTokens.get(refreshToken);
    if (entry === undefined) {
      return null;
    }
    this.#refreshTokens.delete(refreshToken);
    if (this.#clock() >= entry.expiresAt) {
      return null;
    }
    this.#refreshCount += 1;
    return this.#issue(entry.scopes, entry.lifetimeMs);
  }

  /** The number of successful refreshes so far. */
  get refreshCount() {
    return this.#refreshCount;
  }

  /**
   * Checks an access token. Returns `{ scopes }` for a valid token, or
   * `{ error: "invalid_token" | "expired_token" }`.
   */
  checkToken(accessToken) {
    const entry = this.#accessTokens.get(accessToken);
    if (entry === undefined) {
      return { error: "invalid_token" };
    }
    if (this.#clock() >= entry.expiresAt) {
      return { error: "expired_token" };
    }
    return { scopes: entry.scopes };
  }

  #issue(scopes, lifetimeMs) {
    const now = this.#clock();
    // Real tokens are 70 hexadecimal characters.
    const accessToken = randomBytes(35).toString("hex");
    const refreshToken = randomBytes(35).toString("hex");
    this.#accessTokens.set(accessToken, { scopes, expiresAt: now + lifetimeMs });
    this.#refreshTokens.set(refreshToken, { scopes, lifetimeMs, expiresAt: now + REFRESH_TOKEN_LIFETIME_MS });
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: Math.ceil(lifetimeMs / 1000),
      domain: this.#domain(),
      member_id: this.#memberId,
    };
  }
}

function readScopes(scopes) {
  if (scopes === undefined || scopes === null) {
    return new Set(KNOWN_SCOPES);
  }
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string")) {
    throw new CredentialsError(`scopes must be an array of strings such as ["configuration.import"], got ${JSON.stringify(scopes)}`);
  }
  return new Set(scopes);
}
