//! The one error type of the crate, and the table that says which REST
//! errors are worth retrying.
//!
//! The table follows the Bitrix24 REST documentation of system errors and
//! limits (bitrix24/b24restdocs: `_includes/system-errors.md`, `limits.md`).

use std::fmt;

/// The clause that messages of transient errors end with, up to any detail
/// such as "after a pause"; [`WatchError::gave_up`] removes it.
pub const RETRY_CLAUSE: &str = "; the request will be retried";

/// What went wrong, in broad strokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The portal answered with a REST error (`error` in the body).
    Rest,
    /// The request did not complete: connection refused, reset, DNS, CORS.
    Network,
    /// A request, or the whole watch, ran longer than its time limit.
    Timeout,
    /// The body is not a REST envelope this crate understands.
    InvalidResponse,
    /// The caller passed a value this crate cannot use.
    InvalidArgument,
    /// The caller stopped the watch or aborted its signal.
    Aborted,
}

impl ErrorKind {
    /// The snake_case name used in JavaScript (`error.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Rest => "rest",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Aborted => "aborted",
        }
    }
}

/// What a watcher should do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Retry after a backoff.
    Retry,
    /// Retry once the method's operating-time budget resets.
    WaitForReset,
    /// Refresh the OAuth token once, then retry. A webhook cannot refresh, so
    /// for a webhook this is as fatal as `Fail`.
    RefreshToken,
    /// Give up: retrying cannot help.
    Fail,
}

/// An error from watching an import.
///
/// `message` is complete and safe to show: it names what failed and what to
/// do, and never contains a webhook secret or an access token.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchError {
    /// The broad class of the failure.
    pub kind: ErrorKind,
    /// The REST error code (`QUERY_LIMIT_EXCEEDED`, `expired_token`, or `""`),
    /// present only for [`ErrorKind::Rest`].
    pub code: Option<String>,
    /// The HTTP status of the response, where a response arrived.
    pub http_status: Option<u16>,
    /// What to do next; see [`WatchError::retryable`].
    pub recovery: Recovery,
    /// The human-readable message.
    pub message: String,
    /// The server's own delay hint in milliseconds (`Retry-After`, or the time
    /// left until `operating_reset_at`).
    pub retry_after_ms: Option<u64>,
}

impl WatchError {
    /// Creates an error of `kind` with no REST details.
    pub fn new(kind: ErrorKind, recovery: Recovery, message: impl Into<String>) -> Self {
        WatchError {
            kind,
            code: None,
            http_status: None,
            recovery,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// Creates an [`ErrorKind::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, Recovery::Fail, message)
    }

    /// Creates an [`ErrorKind::InvalidResponse`] error, which is retried: a
    /// proxy page or a cut body is usually gone on the next request.
    pub fn invalid_response(http_status: Option<u16>, message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::InvalidResponse, Recovery::Retry, message);
        error.http_status = http_status;
        error
    }

    /// Creates an [`ErrorKind::Network`] error, which is retried.
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, Recovery::Retry, message)
    }

    /// Creates an [`ErrorKind::Aborted`] error.
    pub fn aborted(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Aborted, Recovery::Fail, message)
    }

    /// Creates a [`ErrorKind::Timeout`] error for one request, which is retried.
    pub fn request_timeout(method: &str, timeout_ms: u64) -> Self {
        Self::new(
            ErrorKind::Timeout,
            Recovery::Retry,
            format!(
                "{method} timed out: no answer within {timeout_ms} ms, \
                 so the portal may be overloaded; the request will be retried"
            ),
        )
    }

    /// Creates the REST error that `method` returned, classified by the table
    /// of Bitrix24 system errors.
    pub fn rest(method: &str, http_status: Option<u16>, code: &str, description: &str) -> Self {
        let recovery = classify(code, http_status);
        let mut message = String::from(method);
        message.push_str(" returned ");
        if let Some(status) = http_status {
            message.push_str(&status.to_string());
            message.push(' ');
        }
        if code.is_empty() {
            message.push_str("an error with an empty code");
        } else {
            message.push_str(code);
        }
        let description = description.trim();
        if !description.is_empty() {
            message.push_str(" (");
            message.push_str(description);
            message.push(')');
        }
        message.push_str(": ");
        message.push_str(advice(code, recovery));

        WatchError {
            kind: ErrorKind::Rest,
            code: Some(code.to_owned()),
            http_status,
            recovery,
            message,
            retry_after_ms: None,
        }
    }

    /// Whether a later attempt can succeed without anyone changing anything:
    /// true for [`Recovery::Retry`] and [`Recovery::WaitForReset`].
    pub fn retryable(&self) -> bool {
        matches!(self.recovery, Recovery::Retry | Recovery::WaitForReset)
    }

    /// The JavaScript `Error.name` for this error: `AbortError`, `TimeoutError`
    /// or `WatchError`, so that code written for `fetch` errors also works.
    pub fn js_name(&self) -> &'static str {
        match self.kind {
            ErrorKind::Aborted => "AbortError",
            ErrorKind::Timeout => "TimeoutError",
            _ => "WatchError",
        }
    }

    /// Sets the server's delay hint.
    pub fn with_retry_after_ms(mut self, retry_after_ms: Option<u64>) -> Self {
        self.retry_after_ms = retry_after_ms;
        self
    }

    /// Rewrites the message of a transient error after the last retry: the
    /// promise of a retry goes, and the count of failed requests comes in.
    pub fn gave_up(mut self, failed_requests: u32) -> Self {
        if let Some(position) = self.message.find(RETRY_CLAUSE) {
            self.message.truncate(position);
        }
        let noun = if failed_requests == 1 { "request" } else { "requests" };
        self.message.push_str(&format!(
            ". Gave up after {failed_requests} failed {noun} in a row (maxConsecutiveErrors)"
        ));
        self
    }

    /// Appends a sentence to the message, for the layer that knows more.
    pub fn with_note(mut self, note: &str) -> Self {
        self.message.push_str(". ");
        self.message.push_str(note);
        self
    }
}

impl fmt::Display for WatchError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for WatchError {}

/// Decides what to do about a REST error code, falling back to the HTTP
/// status for codes the table does not name.
pub fn classify(code: &str, http_status: Option<u16>) -> Recovery {
    match code {
        "QUERY_LIMIT_EXCEEDED" | "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => {
            Recovery::Retry
        }
        "OPERATION_TIME_LIMIT" => Recovery::WaitForReset,
        "expired_token" | "invalid_token" => Recovery::RefreshToken,
        "OVERLOAD_LIMIT" | "NO_AUTH_FOUND" | "insufficient_scope" | "insufficient_auth_type"
        | "ACCESS_DENIED" | "INVALID_CREDENTIALS" | "user_access_error"
        | "ERROR_METHOD_NOT_FOUND" | "PORTAL_DELETED" | "INVALID_REQUEST" => Recovery::Fail,
        _ => match http_status {
            Some(429) | Some(500..=599) => Recovery::Retry,
            _ => Recovery::Fail,
        },
    }
}

/// The sentence that tells the user what to do about `code`.
fn advice(code: &str, recovery: Recovery) -> &'static str {
    match code {
        "QUERY_LIMIT_EXCEEDED" => "the portal's request rate limit was hit; the request will be retried after a pause",
        "OPERATION_TIME_LIMIT" => "the method's operating-time budget is spent; the request will be retried when it resets",
        "OVERLOAD_LIMIT" => "the portal's REST access is blocked by its administrator or Bitrix24 support; ask them to lift the block",
        "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => "the portal failed internally; the request will be retried",
        "expired_token" | "invalid_token" => "the access token is no longer valid; a frame client refreshes it once, a webhook cannot, so check the webhook URL or reopen the app",
        "NO_AUTH_FOUND" => "the request carried no valid authorization; pass a client with a webhook URL or an access token",
        "insufficient_scope" => "add the configuration.import scope to the app (or the webhook) and reinstall it",
        "insufficient_auth_type" => "this portal may accept configuration.import.* only through webhook authorization; use webhookClient",
        "ACCESS_DENIED" | "user_access_error" => "the user has no right to import solutions; sign in as a portal administrator",
        "INVALID_CREDENTIALS" => "the webhook URL or its secret is wrong or the webhook was deleted; copy the URL again from the portal",
        "ERROR_METHOD_NOT_FOUND" => "the portal's REST module is older than 21.400.0, which added configuration.import.*; update the portal",
        "PORTAL_DELETED" => "the portal was deleted",
        "INVALID_REQUEST" => "the portal rejected the request; use https for the portal address",
        _ => match recovery {
            Recovery::Fail => "check the request and the portal's settings",
            _ => "the request will be retried",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_codes_classify() {
        let cases = [
            ("QUERY_LIMIT_EXCEEDED", 503, Recovery::Retry),
            ("OPERATION_TIME_LIMIT", 429, Recovery::WaitForReset),
            ("OVERLOAD_LIMIT", 503, Recovery::Fail),
            ("INTERNAL_SERVER_ERROR", 500, Recovery::Retry),
            ("ERROR_UNEXPECTED_ANSWER", 500, Recovery::Retry),
            ("expired_token", 401, Recovery::RefreshToken),
            ("invalid_token", 401, Recovery::RefreshToken),
            ("NO_AUTH_FOUND", 401, Recovery::Fail),
            ("insufficient_scope", 403, Recovery::Fail),
            ("insufficient_auth_type", 403, Recovery::Fail),
            ("ACCESS_DENIED", 403, Recovery::Fail),
            ("INVALID_CREDENTIALS", 401, Recovery::Fail),
            ("user_access_error", 401, Recovery::Fail),
            ("ERROR_METHOD_NOT_FOUND", 404, Recovery::Fail),
            ("PORTAL_DELETED", 500, Recovery::Fail),
            ("INVALID_REQUEST", 400, Recovery::Fail),
        ];
        for (code, status, expected) in cases {
            assert_eq!(classify(code, Some(status)), expected, "{code}");
        }
    }

    #[test]
    fn unknown_codes_follow_http_status() {
        assert_eq!(classify("SOMETHING_NEW", Some(502)), Recovery::Retry);
        assert_eq!(classify("SOMETHING_NEW", Some(429)), Recovery::Retry);
        assert_eq!(classify("SOMETHING_NEW", Some(400)), Recovery::Fail);
        assert_eq!(classify("", Some(400)), Recovery::Fail);
        assert_eq!(classify("SOMETHING_NEW", None), Recovery::Fail);
    }

    #[test]
    fn retryable_flag_matches_recovery() {
        let limit = WatchError::rest("m", Some(503), "QUERY_LIMIT_EXCEEDED", "");
        let budget = WatchError::rest("m", Some(429), "OPERATION_TIME_LIMIT", "");
        let token = WatchError::rest("m", Some(401), "expired_token", "");
        let scope = WatchError::rest("m", Some(403), "insufficient_scope", "");
        assert!(limit.retryable());
        assert!(budget.retryable());
        assert!(!token.retryable());
        assert!(!scope.retryable());
    }

    #[test]
    fn rest_message_names_method_code_and_fix() {
        let error = WatchError::rest(
            "configuration.import.get",
            Some(403),
            "insufficient_scope",
            "The request requires higher privileges than provided by the access token",
        );
        assert_eq!(
            error.message,
            "configuration.import.get returned 403 insufficient_scope (The request requires \
             higher privileges than provided by the access token): add the configuration.import \
             scope to the app (or the webhook) and reinstall it"
        );
        assert_eq!(error.kind, ErrorKind::Rest);
        assert_eq!(error.code.as_deref(), Some("insufficient_scope"));
        assert_eq!(error.http_status, Some(403));
    }

    #[test]
    fn empty_code_message_says_so() {
        let error = WatchError::rest("configuration.import.get", Some(400), "", "Not found");
        assert!(error.message.contains("an error with an empty code (Not found)"));
        assert_eq!(error.code.as_deref(), Some(""));
    }

    #[test]
    fn js_names_follow_kind() {
        assert_eq!(WatchError::aborted("x").js_name(), "AbortError");
        assert_eq!(WatchError::request_timeout("m", 5).js_name(), "TimeoutError");
        assert_eq!(WatchError::network("x").js_name(), "WatchError");
    }
}
