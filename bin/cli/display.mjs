// The three outputs of the command-line watcher: a live display redrawn in
// place on a terminal, plain lines when stdout is a pipe or a file, and one
// JSON object per line with --json. Every text shown comes from a status,
// an update or a WatchError message, and those never hold the webhook secret.

const ACTIONS = ["start", "init_background", "manifest", "clean", "load", "finish"];

// ANSI control sequences for the live display.
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_TO_END = "\x1b[J";
const cursorUp = (lines) => (lines > 0 ? `\x1b[${lines}F` : "\r");

/**
 * Describes a status in words: the state, the stage among the six actions
 * and the detail line. Mirrors what the progress widget shows.
 */
export function describeStatus(status, texts) {
  const progress = status.progress;
  const action = progress?.action ?? null;
  const finishing = status.code === "P" && progress !== null && action === null;
  const stateKey = finishing ? "state.finishing" : `state.${status.state}`;

  let stage;
  if (status.code === "F") {
    stage = texts.message("progress.complete", { total: texts.number(ACTIONS.length) });
  } else if (status.phase !== null) {
    stage = texts.message("progress.value", {
      current: texts.number(status.phase.index + 1),
      total: texts.number(status.phase.count),
      action: texts.action(ACTIONS[status.phase.index]),
    });
  } else {
    stage = status.code === "S" ? texts.message("progress.none") : "";
  }

  const details = [];
  if (status.code === "S") {
    details.push(texts.message("state.started.hint"));
  } else if (finishing) {
    details.push(texts.message("detail.gap"));
  } else if (status.code === "P" && action !== null) {
    // The server counts steps from 0, people from 1.
    details.push(texts.message("detail.step", { action: texts.action(action), step: texts.number(progress.step + 1) }));
  } else if (status.code === "F" && status.createdItems.length > 0) {
    details.push(texts.plural("finished.items", status.createdItems.length));
  } else if (status.code === "E" && action !== null) {
    details.push(texts.message("detail.failedAt", { action: texts.action(action) }));
  } else if (status.code === "E" && progress === null && status.exceptions.length === 0) {
    details.push(texts.message("detail.noDetails"));
  } else if (status.code === "U") {
    details.push(texts.message("state.unknown.hint"));
  }
  if ((status.code === "P" || status.code === "E") && progress?.section) {
    details.push(texts.message("detail.section", { section: texts.section(progress.section) }));
  }

  return { state: texts.message(stateKey), stage, detail: details.join(" · ") };
}

/**
 * Draws the phase bar: one cell per action, done ones filled, the current
 * one half-filled (or crossed out when the import failed there).
 */
export function phaseBar(status) {
  const count = ACTIONS.length;
  let done = 0;
  let current = "";
  if (status?.code === "F") {
    done = count;
  } else if (status?.phase) {
    done = status.phase.index;
    current = status.code === "E" ? "×" : "▒";
  }
  const cells = "█".repeat(done) + current;
  return `[${cells}${"░".repeat(count - [...cells].length)}]`;
}

/** Tracks which entries of the notice, error and exception lists were printed. */
class NotificationLog {
  constructor() {
    this.printed = { notices: 0, errors: 0, exceptions: 0 };
  }

  /** Returns `[list, entry]` pairs that arrived since the last call, in server order. */
  take(status) {
    const fresh = [];
    for (const list of ["notices", "errors", "exceptions"]) {
      const entries = status[list];
      // A list only grows while the import runs; should the portal send a
      // shorter one, only entries past the new end count as new.
      const start = Math.min(this.printed[list], entries.length);
      for (const entry of entries.slice(start)) {
        fresh.push([list, entry]);
      }
      this.printed[list] = entries.length;
    }
    return fresh;
  }
}

const LIST_LABEL_KEYS = { notices: "notice", errors: "error", exceptions: "exception" };

function notificationLine(list, entry, texts) {
  const code = entry.code ? ` [${entry.code}]` : "";
  return `${texts.cli(LIST_LABEL_KEYS[list])}${code}: ${entry.message}`;
}

/** Plain lines: one per status change, notification or failed poll. */
export class PlainDisplay {
  constructor({ stream, texts, processId, startedAt }) {
    Object.assign(this, { stream, texts, startedAt });
    this.notifications = new NotificationLog();
    this.write(texts.message("process", { id: processId }));
  }

  write(line) {
    this.stream.write(`${line}\n`);
  }

  elapsed() {
    return this.texts.duration(Date.now() - this.startedAt);
  }

  update(update) {
    const { status, error } = update;
    if (status !== null && update.changed) {
      const { state, stage, detail } = describeStatus(status, this.texts);
      const parts = [state, stage, detail].filter((part) => part !== "");
      this.write(`[${this.elapsed()}] ${parts.join(" · ")}`);
    }
    if (status !== null) {
      for (const [list, entry] of this.notifications.take(status)) {
        this.write(`  ${notificationLine(list, entry, this.texts)}`);
      }
    }
    if (error !== null && update.nextPollInMs !== null) {
      this.write(`[${this.elapsed()}] ${this.texts.message("connection.retrying")}: ${error.message}`);
    }
  }

  /** Ends the output; the live display needs this, plain lines do not. */
  close() {}
}

/**
 * The live display for a terminal: a block of lines redrawn in place, with
 * notifications and retries printed above it as they arrive, so they stay
 * in the scrollback. The elapsed time ticks every second.
 */
export class LiveDisplay {
  constructor({ stream, texts, processId, startedAt, color }) {
    Object.assign(this, { stream, texts, processId, startedAt, color });
    this.notifications = new NotificationLog();
    this.status = null;
    this.retryError = null;
    this.nextPollAt = null;
    this.drawnLines = 0;
    this.closed = false;
    this.stream.write(HIDE_CURSOR);
    this.ticker = setInterval(() => this.redraw([]), 1000);
    this.onResize = () => this.redraw([]);
    this.stream.on?.("resize", this.onResize);
    this.redraw([]);
  }

  paint(code, text) {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  update(update) {
    if (update.status !== null) {
      this.status = update.status;
    }
    this.retryError = update.nextPollInMs !== null ? update.error : null;
    this.nextPollAt = update.nextPollInMs === null ? null : Date.now() + update.nextPollInMs;

    const above = [];
    if (update.status !== null) {
      for (const [list, entry] of this.notifications.take(update.status)) {
        const line = notificationLine(list, entry, this.texts);
        above.push(list === "notices" ? line : this.paint(list === "exceptions" ? "31" : "33", line));
      }
    }
    this.redraw(above);
  }

  /** Returns the lines of the live block. */
  block() {
    const { texts, status } = this;
    const title = texts.message("process", { id: this.processId });
    const lines = [];
    if (status === null) {
      lines.push(`${this.paint("1", title)} · ${texts.message("state.waiting")}`);
      lines.push(phaseBar(null));
    } else {
      const { state, stage, detail } = describeStatus(status, texts);
      const stateColor = { F: "32", E: "31", U: "33" }[status.code];
      lines.push(`${this.paint("1", title)} · ${stateColor ? this.paint(stateColor, state) : state}`);
      lines.push(`${phaseBar(status)} ${stage}`.trimEnd());
      if (detail !== "") lines.push(detail);
    }

    let clock = texts.message("elapsed", { time: texts.duration(Date.now() - this.startedAt) });
    if (this.nextPollAt !== null && !this.closed) {
      const remaining = this.nextPollAt - Date.now();
      clock += ` · ${remaining > 500 ? texts.message("next.in", { time: texts.duration(remaining + 999) }) : texts.message("next.now")}`;
    }
    lines.push(clock);
    if (this.retryError !== null) {
      lines.push(this.paint("33", `${texts.message("connection.retrying")}: ${this.retryError.message}`));
    }
    return lines;
  }

  /** Redraws the block, printing `above` first where the block was. */
  redraw(above) {
    if (this.closed) return;
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    // A line wider than the terminal wraps, and the cursor-up count would be
    // off, so each line of the block is cut to the width.
    const block = this.block().map((line) => fitWidth(line, width));
    this.stream.write(`${cursorUp(this.drawnLines)}${CLEAR_TO_END}${above.map((line) => `${line}\n`).join("")}${block.join("\n")}\n`);
    this.drawnLines = block.length;
  }

  /** Draws the block one last time and gives the terminal back its cursor. */
  close() {
    if (this.closed) return;
    this.nextPollAt = null;
    this.retryError = null;
    this.redraw([]);
    this.closed = true;
    clearInterval(this.ticker);
    this.stream.off?.("resize", this.onResize);
    this.stream.write(SHOW_CURSOR);
  }
}

/**
 * Cuts `line` to `width` visible characters. ANSI color sequences count as
 * zero width, and a cut line ends with a reset.
 */
function fitWidth(line, width) {
  let visible = 0;
  let result = "";
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) {
      result += part;
      continue;
    }
    for (const character of part) {
      if (visible === width) {
        return `${result}\x1b[0m`;
      }
      result += character;
      visible += 1;
    }
  }
  return result;
}

/** --json: every update as one line of JSON, errors as plain objects. */
export class JsonDisplay {
  constructor({ stream, processId }) {
    Object.assign(this, { stream, processId });
  }

  update(update) {
    const line = {
      processId: this.processId,
      attempt: update.attempt,
      changed: update.changed,
      nextPollInMs: update.nextPollInMs,
      status: update.status,
      error: update.error === null ? null : errorToJson(update.error),
    };
    this.stream.write(`${JSON.stringify(line)}\n`);
  }

  close() {}
}

/** Converts a WatchError into a plain object, because `message` is not enumerable on an Error. */
export function errorToJson(error) {
  return {
    name: error.name,
    kind: error.kind ?? null,
    code: error.code ?? null,
    httpStatus: error.httpStatus ?? null,
    retryable: error.retryable ?? false,
    retryAfterMs: error.retryAfterMs ?? null,
    message: String(error.message),
  };
}
