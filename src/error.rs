//! The one error type of the crate, and the table that decides which REST
//! errors are worth retrying.
//!
//! The table follows the Bitrix24 REST documentation of system errors and
//! limits (bitrix24/b24restdocs: `_includes/system-errors.md`, `limits.md`).

use std::fmt;

/// The clause that messages of transient errors end with, up to any detail
/// such as "after a pause"; [`WatchError::gave_up`] removes it.
pub const RETRY_CLAUSE: &str = "; the request will be retried";

/// The broad class of a failure.
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

/// The action a watcher takes after an error.
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
        rest_error(method, http_status, code, description, recovery, advice(code, recovery))
    }

    /// Creates the error for a token that the portal rejected again after a
    /// frame client refreshed it once and retried: the app's session is over,
    /// and only reopening the app gets a new one.
    pub fn token_rejected_after_refresh(method: &str, http_status: Option<u16>, code: &str, description: &str) -> Self {
        rest_error(method, http_status, code, description, Recovery::Fail, REOPEN_AFTER_REFRESH)
    }

    /// Creates the error for a token error whose refresh failed; `reason`
    /// says how, such as "BX24.refreshAuth did not call back within 30000 ms".
    pub fn token_refresh_failed(method: &str, http_status: Option<u16>, code: &str, description: &str, reason: &str) -> Self {
        let advice = format!("refreshing the access token failed ({reason}), so the user must reopen the app");
        rest_error(method, http_status, code, description, Recovery::Fail, &advice)
    }

    /// Creates the error for a failure that `@bitrix24/b24jssdk` reports with
    /// its own code (`SdkError`, `AjaxError`) after its own retries.
    ///
    /// A code from the portal goes through the table like [`WatchError::rest`].
    /// Codes made by the SDK or by axios, its HTTP library (`NETWORK_ERROR`,
    /// `REQUEST_TIMEOUT`, `JSSDK_…`, `ERR_…`, `ECONNREFUSED`…), become network,
    /// timeout or invalid-response errors. `http_status` 0 means that no
    /// response arrived, as the SDK reports it.
    pub fn from_sdk(method: &str, http_status: Option<u16>, code: &str, description: &str) -> Self {
        let http_status = http_status.filter(|status| *status != 0);
        let detail = sdk_detail(code, description);

        if matches!(code, "REQUEST_TIMEOUT" | "ECONNABORTED" | "ETIMEDOUT") {
            return Self::new(
                ErrorKind::Timeout,
                Recovery::Retry,
                format!("{method} timed out inside @bitrix24/b24jssdk ({detail}), so the portal may be overloaded{RETRY_CLAUSE}"),
            );
        }
        let Some(status) = http_status else {
            return Self::network(format!("{method} failed inside @bitrix24/b24jssdk: no response arrived ({detail}){RETRY_CLAUSE}"));
        };
        if !is_sdk_code(code) {
            return Self::rest(method, Some(status), code, description);
        }

        let transient = matches!(status, 408 | 429 | 500..=599);
        let (recovery, ending) = if transient {
            (Recovery::Retry, RETRY_CLAUSE)
        } else {
            (Recovery::Fail, "; check the portal address and the SDK's settings")
        };
        let mut error = Self::new(
            ErrorKind::InvalidResponse,
            recovery,
            format!("{method} returned HTTP {status} without a REST error code ({detail}){ending}"),
        );
        error.http_status = Some(status);
        error
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
    pub fn gave_up(self, failed_requests: u32) -> Self {
        let mut error = self.without_retry_clause();
        let noun = if failed_requests == 1 { "request" } else { "requests" };
        error.message.push_str(&format!(
            ". Gave up after {failed_requests} failed {noun} in a row (maxConsecutiveErrors)"
        ));
        error
    }

    /// Removes the promise of a retry from the message, for an error that
    /// ends a one-shot call such as `getImportStatus`, which does not retry.
    pub fn without_retry_clause(mut self) -> Self {
        if let Some(position) = crate::text::find(&self.message, RETRY_CLAUSE) {
            self.message.truncate(position);
        }
        self
    }

    /// Appends a sentence to the message, for a layer with more context.
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

/// The advice for a token rejected again after one refresh and one retry.
const REOPEN_AFTER_REFRESH: &str = "the token was refreshed once and the portal rejected the new one as well, \
     so the app's session has ended: the user must reopen the app";

/// Builds a REST error whose message is "METHOD returned STATUS CODE
/// (DESCRIPTION): ADVICE".
fn rest_error(
    method: &str,
    http_status: Option<u16>,
    code: &str,
    description: &str,
    recovery: Recovery,
    advice: &str,
) -> WatchError {
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
    message.push_str(advice);

    WatchError {
        kind: ErrorKind::Rest,
        code: Some(code.to_owned()),
        http_status,
        recovery,
        message,
        retry_after_ms: None,
    }
}

/// Whether `code` was made by `@bitrix24/b24jssdk` or axios rather than sent
/// by the portal. Portal codes are either upper-case words such as
/// `QUERY_LIMIT_EXCEEDED` or OAuth's lower-case `expired_token`; the SDK
/// prefixes its own with `JSSDK_`, and axios uses `ERR_…` and Node's `E…`
/// system error names.
fn is_sdk_code(code: &str) -> bool {
    const NODE_ERRORS: [&str; 7] = ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "EPROTO", "EHOSTUNREACH"];
    code.starts_with("JSSDK_") || code.starts_with("ERR_") || code == "NETWORK_ERROR" || NODE_ERRORS.contains(&code)
}

/// "CODE: description", or just the one that is present.
fn sdk_detail(code: &str, description: &str) -> String {
    match (code.trim(), description.trim()) {
        ("", "") => "no details".to_owned(),
        (code, "") => code.to_owned(),
        ("", description) => description.to_owned(),
        (code, description) => format!("{code}: {description}"),
    }
}

/// Returns the sentence that tells the user what to do about `code`.
fn advice(code: &str, recovery: Recovery) -> &'static str {
    match code {
        "QUERY_LIMIT_EXCEEDED" => "the portal's request rate limit was hit; the request will be retried after a pause",
        "OPERATION_TIME_LIMIT" => "the method's operating-time budget is spent; the request will be retried when it resets",
        "OVERLOAD_LIMIT" => "the portal's REST access is blocked by its administrator or Bitrix24 support; ask them to lift the block",
        "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => "the portal failed internally; the request will be retried",
        "expired_token" | "invalid_token" => "the access token is no longer valid, and this client cannot refresh it, \
             because a webhook or a client function has no refresh token. Check the webhook URL, or inside an app frame \
             use bx24Client or b24jssdkClient, which refresh the token once",
        "NO_AUTH_FOUND" => "the request carried no authorization. Inside an app frame, start watching after BX24.init \
             or initializeB24Frame() has finished; elsewhere use webhookClient with the webhook URL",
        "insufficient_scope" => "add the configuration.import scope to the app (or the webhook) and reinstall it",
        "insufficient_auth_type" => "this portal may accept the configuration.import methods only with webhook \
             authorization, not with an app's access token: use an incoming webhook with the configuration.import \
             scope (webhookClient), and keep its URL out of public pages",
        "ACCESS_DENIED" | "user_access_error" => "the user has no right to import solutions: open the app, or call \
             the methods, as a portal administrator",
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

    /// The message of `code` from configuration.import.get, without the part
    /// before the advice.
    fn advice_of(code: &str, http_status: u16) -> String {
        let error = WatchError::rest("configuration.import.get", Some(http_status), code, "");
        let prefix = format!("configuration.import.get returned {http_status} {code}: ");
        assert!(error.message.starts_with(&prefix), "{code}: {}", error.message);
        error.message[prefix.len()..].to_owned()
    }

    #[test]
    fn insufficient_scope_says_add_scope() {
        assert_eq!(
            advice_of("insufficient_scope", 403),
            "add the configuration.import scope to the app (or the webhook) and reinstall it"
        );
    }

    #[test]
    fn insufficient_auth_type_says_use_webhook() {
        assert_eq!(
            advice_of("insufficient_auth_type", 403),
            "this portal may accept the configuration.import methods only with webhook authorization, \
             not with an app's access token: use an incoming webhook with the configuration.import scope \
             (webhookClient), and keep its URL out of public pages"
        );
    }

    #[test]
    fn method_not_found_names_version() {
        assert_eq!(
            advice_of("ERROR_METHOD_NOT_FOUND", 404),
            "the portal's REST module is older than 21.400.0, which added configuration.import.*; update the portal"
        );
    }

    #[test]
    fn access_denied_asks_for_admin() {
        let expected = "the user has no right to import solutions: open the app, or call the methods, \
                        as a portal administrator";
        assert_eq!(advice_of("ACCESS_DENIED", 403), expected);
        assert_eq!(advice_of("user_access_error", 401), expected);
    }

    #[test]
    fn no_auth_found_explains_init() {
        assert_eq!(
            advice_of("NO_AUTH_FOUND", 401),
            "the request carried no authorization. Inside an app frame, start watching after BX24.init \
             or initializeB24Frame() has finished; elsewhere use webhookClient with the webhook URL"
        );
    }

    #[test]
    fn token_error_without_refresh_names_webhook() {
        for code in ["expired_token", "invalid_token"] {
            let advice = advice_of(code, 401);
            assert!(advice.starts_with("the access token is no longer valid"), "{advice}");
            assert!(advice.contains("a webhook or a client function has no refresh token"), "{advice}");
            assert!(advice.contains("bx24Client or b24jssdkClient"), "{advice}");
        }
    }

    #[test]
    fn token_after_refresh_says_reopen() {
        let error = WatchError::token_rejected_after_refresh(
            "configuration.import.get",
            Some(401),
            "expired_token",
            "The access token provided has expired.",
        );

        assert_eq!(
            error.message,
            "configuration.import.get returned 401 expired_token (The access token provided has expired.): \
             the token was refreshed once and the portal rejected the new one as well, so the app's session \
             has ended: the user must reopen the app"
        );
        assert_eq!(error.kind, ErrorKind::Rest);
        assert_eq!(error.code.as_deref(), Some("expired_token"));
        assert_eq!(error.recovery, Recovery::Fail);
        assert!(!error.retryable());
    }

    #[test]
    fn failed_refresh_says_reopen() {
        let error = WatchError::token_refresh_failed(
            "configuration.import.get",
            Some(401),
            "invalid_token",
            "",
            "BX24.refreshAuth did not call back within 50 ms",
        );

        assert_eq!(
            error.message,
            "configuration.import.get returned 401 invalid_token: refreshing the access token failed \
             (BX24.refreshAuth did not call back within 50 ms), so the user must reopen the app"
        );
        assert_eq!(error.recovery, Recovery::Fail);
    }

    #[test]
    fn sdk_rest_codes_use_table() {
        let limit = WatchError::from_sdk("m", Some(503), "QUERY_LIMIT_EXCEEDED", "Too many requests");
        let scope = WatchError::from_sdk("m", Some(403), "insufficient_scope", "");

        assert_eq!(limit, WatchError::rest("m", Some(503), "QUERY_LIMIT_EXCEEDED", "Too many requests"));
        assert!(limit.retryable());
        assert_eq!(scope.code.as_deref(), Some("insufficient_scope"));
        assert_eq!(scope.recovery, Recovery::Fail);
    }

    #[test]
    fn sdk_without_response_is_network() {
        for code in ["NETWORK_ERROR", "JSSDK_UNKNOWN_ERROR", "ECONNREFUSED"] {
            let error = WatchError::from_sdk("m", Some(0), code, "Network connection failed");

            assert_eq!(error.kind, ErrorKind::Network, "{code}");
            assert_eq!(error.http_status, None, "{code}");
            assert!(error.retryable(), "{code}");
            assert_eq!(
                error.message,
                format!("m failed inside @bitrix24/b24jssdk: no response arrived ({code}: Network connection failed); the request will be retried")
            );
        }
    }

    #[test]
    fn sdk_timeout_is_timeout() {
        let error = WatchError::from_sdk("m", Some(408), "REQUEST_TIMEOUT", "Request timeout exceeded");

        assert_eq!(error.kind, ErrorKind::Timeout);
        assert!(error.retryable());
        assert!(error.message.contains("REQUEST_TIMEOUT: Request timeout exceeded"), "{}", error.message);
    }

    #[test]
    fn sdk_http_errors_by_status() {
        let page = WatchError::from_sdk("m", Some(502), "ERR_BAD_RESPONSE", "Request failed with status code 502");
        let missing = WatchError::from_sdk("m", Some(404), "ERR_BAD_REQUEST", "");

        assert_eq!(page.kind, ErrorKind::InvalidResponse);
        assert_eq!(page.http_status, Some(502));
        assert!(page.retryable());
        assert!(page.message.ends_with(RETRY_CLAUSE), "{}", page.message);
        assert_eq!(missing.kind, ErrorKind::InvalidResponse);
        assert_eq!(missing.http_status, Some(404));
        assert!(!missing.retryable());
        assert_eq!(
            missing.message,
            "m returned HTTP 404 without a REST error code (ERR_BAD_REQUEST); check the portal address and the SDK's settings"
        );
    }
}
