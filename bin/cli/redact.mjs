// Masks the webhook secret in everything the command line prints. The
// messages are written to leave it out, so this is a last line of defence
// against a message that quotes an argument or a URL by mistake.

/**
 * Returns the secret of a webhook URL `SCHEME://HOST/rest/USER_ID/SECRET/…`,
 * or null when `url` does not have that form.
 */
export function webhookSecret(url) {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*\/rest\/\d+\/([^/?#]+)/i.exec(String(url).trim());
  return match === null ? null : match[1];
}

/** Replaces every occurrence of each of `secrets` in `text` with `***`. */
export function maskSecrets(text, secrets) {
  let masked = text;
  for (const secret of secrets) {
    masked = masked.split(secret).join("***");
  }
  return masked;
}

/**
 * Wraps `stream.write` so that every later string written to `stream` has
 * `secrets` masked. Buffers pass unchanged, because the command line writes
 * only strings. Each call is masked on its own, so a secret split across
 * two calls would pass. The command line writes each line in one call.
 */
export function maskWrites(stream, secrets) {
  if (secrets.length === 0) {
    return;
  }
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => write(typeof chunk === "string" ? maskSecrets(chunk, secrets) : chunk, ...rest);
}
