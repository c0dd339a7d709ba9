//! Incoming webhook URLs: `https://PORTAL/rest/USER_ID/SECRET/`.
//!
//! The secret is a password, so this module also makes the redacted form
//! that is the only one allowed in messages.

use crate::error::WatchError;

/// A validated webhook URL, split so that the secret can be left out of text.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    origin: String,
    user_id: String,
    secret: String,
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.redacted())
    }
}

impl WebhookUrl {
    /// Parses and checks a webhook URL. A trailing method name
    /// (`…/SECRET/profile.json`) is not accepted, because the client adds the
    /// method itself.
    ///
    /// # Errors
    ///
    /// An invalid-argument error when the URL is not
    /// `https://HOST/rest/USER_ID/SECRET/`, or uses `http://` for a host other
    /// than 127.0.0.1, localhost or [::1]. The message never shows the secret.
    pub fn parse(url: &str) -> Result<WebhookUrl, WatchError> {
        let url = url.trim();
        let (scheme, rest) = match crate::text::split_once(url, "://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => return Err(invalid("it has no https:// scheme")),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() || authority.contains('@') {
            return Err(invalid("it has no host, or user info before the host"));
        }
        if path.contains('?') || path.contains('#') {
            return Err(invalid("it has a query string or a fragment"));
        }

        let host = host_of(authority);
        let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        match scheme.as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(invalid("http:// is allowed only for 127.0.0.1 and localhost; use https://")),
            _ => return Err(invalid("its scheme is not https://")),
        }

        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let [rest_segment, user_id, secret] = segments.as_slice() else {
            return Err(invalid("its path is not /rest/USER_ID/SECRET/"));
        };
        if *rest_segment != "rest" || user_id.is_empty() || !user_id.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid("its path is not /rest/USER_ID/SECRET/"));
        }
        if secret.is_empty() {
            return Err(invalid("the secret after the user id is empty"));
        }

        Ok(WebhookUrl {
            origin: format!("{scheme}://{authority}"),
            user_id: (*user_id).to_owned(),
            secret: (*secret).to_owned(),
        })
    }

    /// The URL to POST `method` to, secret included. Never put it in text.
    pub fn method_url(&self, method: &str) -> String {
        format!("{}/rest/{}/{}/{}.json", self.origin, self.user_id, self.secret, method)
    }

    /// The URL with the secret replaced by `***`, safe for messages.
    pub fn redacted(&self) -> String {
        format!("{}/rest/{}/***/", self.origin, self.user_id)
    }

    /// Replaces every occurrence of the secret in `text` by `***`, for
    /// messages that quote a platform error which might echo the URL.
    pub fn scrub(&self, text: &str) -> String {
        crate::text::replace(text, &self.secret, "***")
    }
}

fn host_of(authority: &str) -> String {
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_ascii_lowercase()
}

fn invalid(reason: &str) -> WatchError {
    WatchError::invalid_argument(format!(
        "invalid webhook URL: {reason}. Expected https://PORTAL/rest/USER_ID/SECRET/ \
         as the portal shows it under Developer resources → Incoming webhook"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3tMARKER";

    #[test]
    fn parses_and_builds_method_url() {
        let url = WebhookUrl::parse(&format!("https://portal.bitrix24.com/rest/1/{SECRET}/")).unwrap();
        assert_eq!(
            url.method_url("configuration.import.get"),
            format!("https://portal.bitrix24.com/rest/1/{SECRET}/configuration.import.get.json")
        );
        assert_eq!(url.redacted(), "https://portal.bitrix24.com/rest/1/***/");
    }

    #[test]
    fn trailing_slash_optional() {
        assert!(WebhookUrl::parse(&format!("https://p.example/rest/7/{SECRET}")).is_ok());
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(WebhookUrl::parse(&format!("http://127.0.0.1:8080/rest/1/{SECRET}/")).is_ok());
        assert!(WebhookUrl::parse(&format!("http://localhost/rest/1/{SECRET}/")).is_ok());
        assert!(WebhookUrl::parse(&format!("http://[::1]:9/rest/1/{SECRET}/")).is_ok());
        assert!(WebhookUrl::parse(&format!("http://portal.example/rest/1/{SECRET}/")).is_err());
        assert!(WebhookUrl::parse(&format!("http://127.0.0.1.evil.example/rest/1/{SECRET}/")).is_err());
    }

    #[test]
    fn rejects_malformed_urls() {
        let bad = [
            "".to_owned(),
            "portal.example/rest/1/x/".to_owned(),
            format!("ftp://p.example/rest/1/{SECRET}/"),
            format!("https://p.example/api/1/{SECRET}/"),
            format!("https://p.example/rest/abc/{SECRET}/"),
            "https://p.example/rest/1//".to_owned(),
            format!("https://p.example/rest/1/{SECRET}/profile.json"),
            format!("https://p.example/rest/1/{SECRET}/?x=1"),
            format!("https://user@p.example/rest/1/{SECRET}/"),
        ];
        for url in bad {
            assert!(WebhookUrl::parse(&url).is_err(), "{url}");
        }
    }

    #[test]
    fn errors_never_show_secret() {
        let attempts = [
            format!("http://portal.example/rest/1/{SECRET}/"),
            format!("https://p.example/rest/1/{SECRET}/profile.json"),
            format!("https://p.example/rest/1/{SECRET}/?auth={SECRET}"),
            format!("gopher://{SECRET}"),
        ];
        for url in attempts {
            let error = WebhookUrl::parse(&url).unwrap_err();
            assert!(!error.message.contains(SECRET), "{}", error.message);
        }
    }

    #[test]
    fn debug_and_scrub_hide_secret() {
        let url = WebhookUrl::parse(&format!("https://p.example/rest/1/{SECRET}/")).unwrap();
        assert!(!format!("{url:?}").contains(SECRET));
        assert_eq!(url.scrub(&format!("failed to fetch /rest/1/{SECRET}/x")), "failed to fetch /rest/1/***/x");
    }
}
