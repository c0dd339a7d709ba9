// A stand-in for the legacy BX24 library (//api.bitrix24.com/api/v1/) that
// speaks the real frame protocol to the portal page:
//
// - window.name is "DOMAIN|PROTOCOL|APP_SID"; commands go to the parent as
//   "command:JSON-params:callbackId:APP_SID", and replies come back as
//   "callbackId:JSON-result" from the portal's origin only.
// - BX24.init(cb) asks for getInitData; BX24.refreshAuth(cb) asks for a new
//   token and calls cb with the getAuth() object.
// - BX24.callMethod(method, params, cb) POSTs to PROTOCOL://DOMAIN/rest/METHOD.json
//   with auth=AUTH_ID and calls cb with a result object: data(), error(),
//   error_description(), more(), next(), total(), answer, query, status.
// - On an HTTP 5xx or a network failure it never calls back, as the library
//   does (it throws inside its XHR handler).
//
// It does not refresh the token by itself when a call fails with
// expired_token, so every token error reaches the caller and the tests
// exercise the client's own refresh.
(function () {
  const [domain = "", protocol = "", appSid = ""] = window.name.split("|");
  const portalOrigin = `${protocol === "1" ? "https" : "http"}://${domain}`;
  const callbacks = new Map();
  let nextCallbackId = 0;
  let initData = null;
  let auth = null;
  const initCallbacks = [];

  window.addEventListener("message", (event) => {
    if (event.origin !== portalOrigin || typeof event.data !== "string") {
      return;
    }
    const separator = event.data.indexOf(":");
    const id = separator === -1 ? event.data : event.data.slice(0, separator);
    const text = separator === -1 ? "" : event.data.slice(separator + 1);
    const callback = callbacks.get(id);
    if (callback === undefined) {
      return;
    }
    callbacks.delete(id);
    callback(text === "" ? undefined : JSON.parse(text));
  });

  function send(command, params, callback) {
    nextCallbackId += 1;
    const id = `bx24_${nextCallbackId}`;
    callbacks.set(id, callback);
    const paramsText = params === undefined ? "" : JSON.stringify(params);
    parent.postMessage(`${command}:${paramsText}:${id}:${appSid}`, portalOrigin);
  }

  function takeAuth(data) {
    auth = {
      access_token: data.AUTH_ID,
      refresh_token: data.REFRESH_ID,
      expires_in: Number(data.AUTH_EXPIRES),
      domain,
      member_id: initData?.MEMBER_ID ?? "",
    };
  }

  function makeResult(method, params, status, answer) {
    return {
      answer,
      query: { method, data: params },
      status,
      data: () => answer.result,
      // An object that carries the error body, one of the forms the client reads.
      error: () => (answer.error === undefined ? false : { status, ex: { error: answer.error, error_description: answer.error_description ?? "" } }),
      error_description: () => answer.error_description ?? "",
      more: () => typeof answer.next === "number",
      next: () => false,
      total: () => answer.total ?? 0,
    };
  }

  window.BX24 = {
    init(callback) {
      if (initData !== null) {
        callback();
        return;
      }
      initCallbacks.push(callback);
      if (initCallbacks.length > 1) {
        return;
      }
      send("getInitData", undefined, (data) => {
        initData = data;
        takeAuth(data);
        for (const waiting of initCallbacks.splice(0)) {
          waiting();
        }
      });
    },

    getAuth() {
      return auth === null ? false : { ...auth };
    },

    refreshAuth(callback) {
      send("refreshAuth", undefined, (data) => {
        if (data?.AUTH_ID) {
          takeAuth(data);
        }
        callback?.(this.getAuth());
      });
    },

    callMethod(method, params, callback) {
      const body = { ...(params ?? {}), auth: auth?.access_token };
      fetch(`${portalOrigin}${initData.PATH}${method}.json`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      })
        .then(async (response) => {
          if (response.status >= 500) {
            return;
          }
          const answer = await response.json();
          callback?.(makeResult(method, params, response.status, answer));
        })
        .catch(() => {});
    },

    getLang: () => initData?.LANG ?? "en",
    isAdmin: () => initData?.IS_ADMIN === true,
    placement: {
      info: () => ({ placement: initData?.PLACEMENT ?? "DEFAULT", options: initData?.PLACEMENT_OPTIONS ?? {} }),
    },
  };
})();
