//! Entity section codes (`progress.section`) that the widget names in words.
//!
//! Each module of the portal registers its sections through the `rest`
//! event `OnRestApplicationConfigurationEntity`. The codes below are the
//! `ENTITY_CODE` constants and `$entityList` keys of those handlers in the
//! modules' source (`crm/lib/integration/rest/configuration/`,
//! `rest/lib/configuration/appconfiguration.php`,
//! `landing/lib/transfer/appconfiguration.php`,
//! `bizproc/lib/integration/rest/appconfiguration.php`). The `tasks` module
//! registers no section there. A code missing from this list is shown as the
//! server sent it.
//!
//! This file uses only `std`, so the native test of the translations
//! includes it to check that every code has a name in every language.

/// Section codes with a translated name under the key `section.<CODE>`.
pub const KNOWN_SECTIONS: [&str; 15] = [
    // crm
    "CRM_ITEMS_LEAD",
    "CRM_ITEMS_DEAL",
    "AUTOMATED_SOLUTION",
    "CRM_DYNAMIC_TYPES",
    "CRM_STATUS",
    "CRM_FIELDS",
    "CRM_DETAIL_CONFIGURATION",
    "CRM_SETTING",
    "CRM_FORM",
    "CRM_ROLE",
    // rest
    "REST_APPLICATION",
    // landing
    "LANDING",
    // bizproc
    "BIZPROC_MAIN",
    "BIZPROC_CRM_TRIGGER",
    "BIZPROC_SCRIPT",
];

/// Returns the translation key of a section's name, or `None` for a code
/// this list does not know.
pub fn name_key(code: &str) -> Option<String> {
    KNOWN_SECTIONS.contains(&code).then(|| format!("section.{code}"))
}
