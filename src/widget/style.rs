//! The widget's style sheet, placed in its shadow root so that it neither
//! reaches the host page nor takes the page's rules.
//!
//! Host pages theme the widget with the `--b24iw-*` custom properties below,
//! which inherit into the shadow tree. Each applies to both themes, so a page
//! that themes light and dark sets them inside its own `prefers-color-scheme`
//! rules. The default colours follow the Bitrix24 interface (accent
//! `#2fc6f6`, text `#535c69`). Every text colour has a contrast of at least
//! 4.5:1 on its background in both themes, which the end-to-end tests check
//! with axe-core. `#2fc6f6` itself, at 2:1 on white, only fills shapes.

/// The custom properties of the dark theme, used both for `theme: "dark"` and
/// for `theme: "auto"` under `prefers-color-scheme: dark`.
macro_rules! dark_theme {
    () => {
        "--_bg: var(--b24iw-bg, #22272e);
  --_surface: var(--b24iw-surface, #2b3038);
  --_border: var(--b24iw-border, #3a4049);
  --_track: var(--b24iw-track, #3a4049);
  --_text: var(--b24iw-text, #e6e9ec);
  --_muted: var(--b24iw-muted, #a8adb4);
  --_accent: var(--b24iw-accent, #2fc6f6);
  --_accent-text: var(--b24iw-accent-text, #7bd3f7);
  --_success: var(--b24iw-success, #9dcf00);
  --_success-fill: var(--b24iw-success-fill, #9dcf00);
  --_danger: var(--b24iw-danger, #ff8a85);
  --_warning: var(--b24iw-warning, #f0b34e);
  --_warning-bg: var(--b24iw-warning-bg, #3a3020);
  --_on-strong: #1b1f24;
  --_focus: var(--b24iw-focus, #7bd3f7);
  color-scheme: dark;"
    };
}

/// The whole style sheet.
pub(crate) const CSS: &str = concat!(
    r#":host { display: block !important; }
[hidden] { display: none !important; }
.widget {
  all: initial;
  display: block;
  box-sizing: border-box;
  container-type: inline-size;
  min-width: 0;
  --_bg: var(--b24iw-bg, #ffffff);
  --_surface: var(--b24iw-surface, #f5f7f8);
  --_border: var(--b24iw-border, #dfe3e8);
  --_track: var(--b24iw-track, #e6e9ec);
  --_text: var(--b24iw-text, #535c69);
  --_muted: var(--b24iw-muted, #5f6874);
  --_accent: var(--b24iw-accent, #2fc6f6);
  --_accent-text: var(--b24iw-accent-text, #2067b0);
  --_success: var(--b24iw-success, #3c7a00);
  --_success-fill: var(--b24iw-success-fill, #9dcf00);
  --_danger: var(--b24iw-danger, #c4201b);
  --_warning: var(--b24iw-warning, #8a5a00);
  --_warning-bg: var(--b24iw-warning-bg, #fff4df);
  --_on-strong: #ffffff;
  --_focus: var(--b24iw-focus, #2067b0);
  color-scheme: light;
  font-family: var(--b24iw-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  font-size: 14px;
  line-height: 1.45;
  color: var(--_text);
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--b24iw-radius, 10px);
  padding: 16px;
  overflow-wrap: anywhere;
}
"#,
    ".widget[data-theme=\"dark\"] {\n  ",
    dark_theme!(),
    "\n}\n@media (prefers-color-scheme: dark) {\n  .widget[data-theme=\"auto\"] {\n  ",
    dark_theme!(),
    "\n  }\n}\n",
    r#".widget *, .widget *::before, .widget *::after { box-sizing: border-box; }
.widget p, .widget ol, .widget ul { margin: 0; padding: 0; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

.head { display: flex; align-items: flex-start; gap: 10px; }
.icon { flex: none; width: 24px; height: 24px; color: var(--_kind); }
.icon svg { display: block; width: 24px; height: 24px; }
.titles { min-width: 0; flex: 1; }
.title { margin: 0; font-size: 16px; font-weight: 600; line-height: 24px; color: var(--_kind); }
.title:focus { outline: none; }
.title:focus-visible { outline: 2px solid var(--_focus); outline-offset: 2px; }
.subtitle { color: var(--_muted); font-size: 13px; }
.widget { --_kind: var(--_accent-text); }
.widget[data-kind="waiting"], .widget[data-kind="started"], .widget[data-kind="cancelled"] { --_kind: var(--_muted); }
.widget[data-kind="finished"] { --_kind: var(--_success); }
.widget[data-kind="failed"], .widget[data-kind="stopped"] { --_kind: var(--_danger); }
.widget[data-kind="unknown"] { --_kind: var(--_warning); }
.spin { transform-origin: 12px 12px; animation: b24iw-spin 1s linear infinite; }
@keyframes b24iw-spin { to { transform: rotate(360deg); } }

.bar { display: flex; gap: 3px; height: 6px; margin: 14px 0 12px; }
.segment { flex: 1; border-radius: 3px; background: var(--_track); transition: background-color .3s; }
.segment[data-state="done"] { background: var(--_accent); }
.segment[data-state="current"] {
  background: repeating-linear-gradient(-45deg, var(--_accent) 0 6px, color-mix(in srgb, var(--_accent) 45%, var(--_track)) 6px 12px);
  background-size: 17px 6px;
  animation: b24iw-stripes 1s linear infinite;
}
.segment[data-state="failed"] { background: var(--_danger); }
.widget[data-kind="finished"] .segment { background: var(--_success-fill); }
@keyframes b24iw-stripes { to { background-position: 17px 0; } }

.steps { list-style: none; display: grid; gap: 6px; margin-bottom: 12px; }
.step { display: flex; align-items: center; gap: 8px; min-height: 22px; color: var(--_muted); }
.step[data-state="current"] { color: var(--_text); font-weight: 600; }
.step[data-state="done"] { color: var(--_text); }
.step[data-state="failed"] { color: var(--_danger); font-weight: 600; }
.mark {
  flex: none; display: inline-flex; align-items: center; justify-content: center;
  width: 20px; height: 20px; border-radius: 50%;
  border: 2px solid var(--_track); color: var(--_on-strong);
}
.mark svg { width: 14px; height: 14px; }
.step[data-state="done"] .mark { background: var(--_accent-text); border-color: var(--_accent-text); }
.step[data-state="failed"] .mark { background: var(--_danger); border-color: var(--_danger); }
.step[data-state="current"] .mark { border-color: var(--_accent-text); }
.step[data-state="current"] .mark::after {
  content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--_accent);
  animation: b24iw-pulse 1.4s ease-in-out infinite;
}
@keyframes b24iw-pulse { 50% { transform: scale(.6); } }
@container (min-width: 560px) {
  .steps { grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; margin-bottom: 14px; }
  .step { flex-direction: column; align-items: center; text-align: center; font-size: 13px; }
}

/* Room for a two-line detail and the section, so the layout stays still as they change. */
.info { min-height: calc(3 * 1.45em); margin-top: 4px; }
.section { color: var(--_muted); }
.connection {
  display: flex; align-items: center; min-height: 28px; margin-top: 6px; padding: 3px 8px;
  border-radius: 6px; background: var(--_warning-bg); color: var(--_warning);
  white-space: nowrap; overflow: hidden;
}
.connection[data-active="false"] { visibility: hidden; }
.connection-title { flex: none; font-weight: 600; }
.connection-detail { min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.clock {
  display: flex; flex-wrap: wrap; justify-content: space-between; gap: 2px 12px;
  min-height: 1.45em; margin-top: 6px; color: var(--_muted); font-size: 13px;
  font-variant-numeric: tabular-nums;
}

.cancel { margin-top: 12px; }
.confirm { display: grid; gap: 8px; padding: 10px; border-radius: 8px; background: var(--_surface); }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; }
.button {
  font: inherit; font-weight: 600; min-height: 32px; padding: 4px 14px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--_border); background: var(--_bg); color: var(--_text);
}
.button:hover { border-color: var(--_muted); }
.button[data-variant="danger"] { background: var(--_danger); border-color: var(--_danger); color: var(--_on-strong); }
.button:disabled { cursor: default; opacity: .7; }
.button:focus-visible, summary:focus-visible { outline: 2px solid var(--_focus); outline-offset: 2px; }
.cancel-result { margin-top: 6px; color: var(--_danger); }
.cancel-result[data-variant="pending"] { color: var(--_muted); }

.lists { display: grid; gap: 10px; margin-top: 12px; }
.list { padding: 8px 10px; border-radius: 8px; background: var(--_surface); }
.list-title { font-weight: 600; }
.list[data-type="exceptions"] .list-title { color: var(--_danger); }
.list[data-type="errors"] .list-title { color: var(--_warning); }
.list ul { list-style: disc; padding-left: 20px; margin-top: 4px; }
.list li + li { margin-top: 2px; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; color: var(--_muted); margin-right: 2px; }
.list details { margin-top: 4px; }
summary { cursor: pointer; color: var(--_accent-text); font-weight: 600; border-radius: 4px; }

@media (prefers-reduced-motion: reduce) {
  .widget *, .widget *::before, .widget *::after { animation: none !important; transition: none !important; }
}
"#
);
