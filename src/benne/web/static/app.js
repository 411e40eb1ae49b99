/* benne pages: the person's page and the partner's view. No framework, no build step.
   All data is put into the page with textContent, never as HTML. */
"use strict";

const DIMENSIONS = {
  credit_history: "Credit history",
  behaviour: "Behaviour and preferences",
  fulfilment: "Fulfilment capacity",
  identity: "Identity characteristics",
  relationships: "Interpersonal relationships",
};

const SHOP_DIMENSIONS = {
  trading: "Trading",
  stability: "Stability",
  reputation: "Reputation",
  owner: "Owner",
};

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function when(iso) { return iso ? iso.replace("T", " ").slice(0, 16) : "—"; }

async function api(method, path, { token, key, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, data };
}

function fillRows(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) td.append(c); else td.textContent = c ?? "—";
      tr.append(td);
    }
    return tr;
  }));
}

function renderReasons(list, reasons, score) {
  list.replaceChildren(...reasons.map((r) => {
    const li = el("li");
    li.dataset.code = r.code;
    li.append(el("p", r.text, "reason-text"));
    if (r.tip) {
      const tip = el("p", null, "tip");
      tip.append(el("strong", "How to improve: "), r.tip);
      li.append(tip);
    }
    if (r.what_if !== null && r.what_if !== undefined && score !== undefined) {
      const gain = r.what_if - score;
      const w = el("p", null, "what-if");
      w.append(el("strong", "What if: "), "your score would be ",
        el("span", String(r.what_if), "what-if-score"),
        " (" + (gain >= 0 ? "+" : "") + gain + " points).");
      li.append(w);
    }
    return li;
  }));
  if (!reasons.length) list.replaceChildren(el("li", "Nothing is costing you points."));
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/* The score history as an inline SVG line over the bands (each a shaded stripe, its lower
   edge a dashed line): the part of the scale around the person's scores. */
function drawHistory(box, history, bands, lo, hi) {
  const keep = box.querySelector("title");
  box.replaceChildren(keep);
  if (!history.length) return;
  const W = 600, H = 180, L = 40, R = 90, T = 10, B = 24;
  const scores = history.map((h) => h.score);
  // the scores shown with a margin, out to the next multiple of 50 (band edges are on them)
  const ymin = Math.max(lo, Math.floor((Math.min(...scores) - 30) / 50) * 50);
  const ymax = Math.min(hi, Math.ceil((Math.max(...scores) + 30) / 50) * 50);
  const y = (v) => T + (H - T - B) * (1 - (v - ymin) / (ymax - ymin));
  const x = (i) => L + (history.length === 1 ? (W - L - R) / 2
    : (W - L - R) * i / (history.length - 1));
  bands.forEach((b, i) => {
    const top = Math.min(ymax, i + 1 < bands.length ? bands[i + 1].low : hi);
    const bottom = Math.max(ymin, b.low);
    if (top <= bottom) return;
    box.append(svg("rect", { x: L, y: y(top), width: W - L - R, height: y(bottom) - y(top),
      class: "band-" + b.name.replace(" ", "-") }));
    box.append(svg("text", { x: W - R + 6, y: (y(top) + y(bottom)) / 2 + 4,
      class: "chart-label" }, b.name));
    if (b.low > ymin && b.low < ymax) {
      box.append(svg("line", { x1: L, x2: W - R, y1: y(b.low), y2: y(b.low),
        class: "band-edge" }));
      box.append(svg("text", { x: L - 4, y: y(b.low) + 4, class: "chart-axis",
        "text-anchor": "end" }, b.low));
    }
  });
  const points = history.map((h, i) => x(i).toFixed(1) + "," + y(h.score).toFixed(1));
  box.append(svg("polyline", { points: points.join(" "), class: "history-line" }));
  history.forEach((h, i) => {
    const dot = svg("circle", { cx: x(i), cy: y(h.score), r: 4, class: "history-dot" });
    dot.append(svg("title", {}, h.as_of + ": " + h.score + " (" + h.band + ")"));
    box.append(dot);
    box.append(svg("text", { x: x(i), y: H - 6, class: "chart-axis", "text-anchor": "middle" },
      h.as_of));
  });
}

function scaleOf(node) {
  const bands = node.dataset.bands.split(",").map((pair) => {
    const [low, name] = pair.split(":");
    return { low: Number(low), name };
  });
  return { bands, lo: Number(node.dataset.min), hi: Number(node.dataset.max) };
}

function setBar(bar, value) {
  const fill = bar.querySelector(".fill");
  if (value === null || value === undefined) {
    bar.setAttribute("aria-valuetext", "no data");
    fill.style.width = "0%";
    return "no data";
  }
  const v = Math.round(value);
  bar.setAttribute("aria-valuenow", String(v));
  bar.setAttribute("aria-valuetext", v + " of 100");
  fill.style.width = v + "%";
  return String(v);
}

/* ---------- the person's page ---------- */

const person = {
  token: null,

  async start() {
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.signIn($("token").value.trim());
    });
    $("signout").addEventListener("click", () => this.signOut());
    $("grant-form").addEventListener("submit", (e) => { e.preventDefault(); this.grant(); });
    $("dispute-cancel").addEventListener("click", () => $("dispute-dialog").close());
    $("dispute-form").addEventListener("submit", (e) => { e.preventDefault(); this.dispute(); });
    const saved = sessionStorage.getItem("benne-token");
    if (saved) await this.signIn(saved);
  },

  async signIn(token) {
    const err = $("signin-error");
    err.hidden = true;
    if (!token) { err.textContent = "Enter your access token."; err.hidden = false; return; }
    const res = await api("GET", "/v1/me/data", { token });
    if (!res.ok) {
      err.textContent = res.status === 401
        ? "That token was not accepted. Check it and try again."
        : "Could not sign in (" + (res.data?.message || res.status) + ").";
      err.hidden = false;
      return;
    }
    this.token = token;
    sessionStorage.setItem("benne-token", token);
    $("signin").hidden = true;
    $("dashboard").hidden = false;
    $("who").textContent = res.data.person_id;
    await this.refresh(res.data);
    $("score-title").focus?.();
  },

  signOut() {
    this.token = null;
    sessionStorage.removeItem("benne-token");
    $("dashboard").hidden = true;
    $("signin").hidden = false;
    $("token").value = "";
  },

  say(message) { $("status").textContent = message; },

  async refresh(data) {
    if (!data) {
      const res = await api("GET", "/v1/me/data", { token: this.token });
      if (!res.ok) { this.say("Could not load your data: " + (res.data?.message || res.status)); return; }
      data = res.data;
    }
    const score = await api("GET", "/v1/me/score", { token: this.token });
    const population = await api("GET", "/v1/population", { token: this.token });
    this.renderScore(score.ok ? score.data : null, population.ok ? population.data : null);
    const shops = await api("GET", "/v1/me/merchants", { token: this.token });
    this.renderShops(shops.ok ? shops.data : []);
    const notices = await api("GET", "/v1/me/notices", { token: this.token });
    this.renderNotices(notices.ok ? notices.data : []);
    this.renderAccess(data.access_log);
    this.renderConsents(data.consents);
    this.renderRecords(data.store, data);
    this.renderDisputes(data.disputes);
  },

  renderScore(s, population) {
    $("score-empty").hidden = !!s;
    $("score-body").hidden = !s;
    if (!s) return;
    const { bands, lo, hi } = scaleOf($("score-scale"));
    $("score-value").textContent = s.score;
    $("score-band").textContent = s.band;
    $("score-band").dataset.band = s.band;
    $("score-asof").textContent = s.as_of;
    $("score-model").textContent = s.model_version;
    $("score-scale").setAttribute("aria-label",
      "Score " + s.score + " on a scale from " + lo + " to " + hi);
    $("score-marker").style.left = (100 * (s.score - lo) / (hi - lo)).toFixed(1) + "%";
    for (const li of $("dimensions").children) {
      const key = li.dataset.dimension;
      const value = s.dimensions[key];
      const bar = li.querySelector(".bar");
      li.querySelector(".dim-value").textContent = setBar(bar, value);
      li.querySelector(".dim-nodata").hidden = value !== null && value !== undefined;
      const spread = population?.dimensions?.[key];
      const band = bar.querySelector(".spread"), median = bar.querySelector(".median");
      band.hidden = median.hidden = !spread;
      if (spread) {
        band.style.left = spread.p10 + "%";
        band.style.width = Math.max(spread.p90 - spread.p10, 0.5) + "%";
        median.style.left = spread.p50 + "%";
        bar.setAttribute("aria-valuetext", (value === null ? "no data" : Math.round(value)
          + " of 100") + "; most people " + Math.round(spread.p10) + " to "
          + Math.round(spread.p90) + ", median " + Math.round(spread.p50));
      }
    }
    renderReasons($("reasons"), s.reasons, s.score);
    drawHistory($("history-chart"), s.history, bands, lo, hi);
    fillRows($("history"), [...s.history].reverse().map((h) => [h.as_of, h.score, h.band, h.model_version]));
  },

  renderShops(shops) {
    $("shops-card").hidden = !shops.length;
    $("shops").replaceChildren(...shops.map((s) => {
      const box = el("article", null, "shop");
      box.dataset.merchant = s.merchant_id;
      box.append(el("h3", "Shop " + s.merchant_id));
      const line = el("p", null, "score");
      const band = el("span", s.band, "band");
      band.dataset.band = s.band;
      line.append(el("span", String(s.score), "score-value shop-score"), " ", band);
      box.append(line, el("p", "As of " + s.as_of + " · model " + s.model_version, "muted"));
      const dims = el("ul", null, "dims");
      for (const [k, label] of Object.entries(SHOP_DIMENSIONS)) {
        const li = el("li");
        li.dataset.dimension = k;
        const name = el("span", label, "dim-label");
        name.id = "shop-" + s.merchant_id + "-" + k;
        const bar = el("div", null, "bar");
        bar.setAttribute("role", "meter");
        bar.setAttribute("aria-labelledby", name.id);
        bar.setAttribute("aria-valuemin", "0");
        bar.setAttribute("aria-valuemax", "100");
        bar.append(el("div", null, "fill"));
        li.append(name, bar, el("span", setBar(bar, s.dimensions[k]), "dim-value"));
        dims.append(li);
      }
      const reasons = el("ol", null, "reasons shop-reasons");
      renderReasons(reasons, s.reasons, s.score);
      box.append(dims, el("h4", "What cost the shop points, and how to improve"), reasons);
      return box;
    }));
  },

  renderNotices(notices) {
    fillRows($("notices"), notices.map((n) => [
      when(n.issued_at), n.partner_name ? n.partner_name + " (" + n.partner_id + ")" : n.partner_id,
      n.purpose, n.score + " (" + n.band + ")"]));
    $("notices-empty").hidden = notices.length > 0;
  },

  renderAccess(entries) {
    fillRows($("access-log"), entries.map((a) => [
      when(a.at), a.partner_name ? a.partner_name + " (" + a.partner_id + ")" : a.partner_id,
      a.purpose,
      (a.outcome === "granted" ? "read " : "refused: no consent to read ")
        + (a.merchant_id ? "your shop " + a.merchant_id + "'s score" : "your score"),
    ]));
    $("access-empty").hidden = entries.length > 0;
  },

  renderConsents(consents) {
    fillRows($("consents"), consents.map((c) => {
      let action = "—";
      if (c.live) {
        action = el("button", "Revoke", "danger");
        action.type = "button";
        action.setAttribute("aria-label", "Revoke " + c.partner_name + " for " + c.purpose);
        action.addEventListener("click", () => this.revoke(c.id));
      }
      const state = c.revoked_at ? "revoked " + when(c.revoked_at) : (c.live ? "live" : "expired");
      return [c.partner_name + " (" + c.partner_id + ")", c.purpose, when(c.created_at),
        c.expires_at ? when(c.expires_at) : "never", state, action];
    }));
  },

  renderRecords(store, all) {
    const box = $("records");
    box.replaceChildren();
    const blob = new Blob([JSON.stringify(all, null, 2)], { type: "application/json" });
    $("download").href = URL.createObjectURL(blob);
    const sources = Object.keys(store);
    if (!sources.length) { box.append(el("p", "No source records are held on you.", "muted")); return; }
    for (const source of sources) {
      const rows = store[source];
      if (!rows.length) continue;
      const cols = Object.keys(rows[0]).filter((k) => !k.startsWith("_"));
      const details = el("details");
      details.append(el("summary", source + " (" + rows.length + ")"));
      const table = el("table");
      const head = table.createTHead().insertRow();
      for (const c of [...cols, "Dispute"]) {
        const th = el("th", c); th.scope = "col"; head.append(th);
      }
      table.append(document.createElement("tbody"));
      details.append(table);
      fillRows(table, rows.map((r) => {
        let action;
        if (r._dispute === "open") action = el("span", "under dispute", "badge");
        else if (r._dispute === "held") action = el("span", "left out of your score", "badge");
        else {
          action = el("button", "Dispute", "secondary");
          action.type = "button";
          action.setAttribute("aria-label", "Dispute " + source + " record " + r._record_id);
          action.addEventListener("click", () => this.openDispute(source, r._record_id));
        }
        return [...cols.map((c) => (r[c] === null ? "—" : String(r[c]))), action];
      }));
      box.append(details);
    }
  },

  renderDisputes(disputes) {
    fillRows($("disputes"), disputes.map((d) => [
      d.source + " " + d.record_id, d.reason, when(d.created_at), d.status]));
    $("disputes-empty").hidden = disputes.length > 0;
  },

  async revoke(id) {
    const res = await api("DELETE", "/v1/consents/" + encodeURIComponent(id), { token: this.token });
    this.say(res.ok ? "Consent revoked. The partner can no longer read your score."
      : "Could not revoke: " + (res.data?.message || res.status));
    await this.refresh();
  },

  async grant() {
    const expiry = $("grant-expiry").value;
    const body = {
      partner_id: $("grant-partner").value.trim(),
      purpose: $("grant-purpose").value.trim(),
      expires_at: expiry ? expiry + "T23:59:59Z" : null,
    };
    const res = await api("POST", "/v1/consents", { token: this.token, body });
    this.say(res.ok ? "Consent granted." : "Could not grant: " + (res.data?.message || res.status));
    if (res.ok) $("grant-form").reset();
    await this.refresh();
  },

  pending: null,

  openDispute(source, recordId) {
    this.pending = { source, record_id: recordId };
    $("dispute-record").textContent = source + " record " + recordId;
    $("dispute-reason").value = "";
    $("dispute-dialog").showModal();
  },

  async dispute() {
    const reason = $("dispute-reason").value.trim();
    if (!reason || !this.pending) return;
    $("dispute-dialog").close();
    const res = await api("POST", "/v1/me/disputes",
      { token: this.token, body: { ...this.pending, reason } });
    this.say(res.ok ? "Dispute filed. The record is left out of your next score."
      : "Could not file the dispute: " + (res.data?.message || res.status));
    await this.refresh();
  },
};

/* ---------- the printable notices ---------- */

const noticesPage = {
  async start() {
    $("print").addEventListener("click", () => window.print());
    const token = sessionStorage.getItem("benne-token");
    if (!token) { $("notices-signin").hidden = false; return; }
    const res = await api("GET", "/v1/me/notices", { token });
    if (!res.ok) { $("notices-signin").hidden = false; return; }
    $("notices-none").hidden = res.data.length > 0;
    $("notice-list").replaceChildren(...res.data.map((n) => this.notice(n)));
  },

  notice(n) {
    const art = el("article", null, "notice card");
    art.id = "notice-" + n.notice_id;
    art.append(el("h2", "Notice of adverse action · " + n.bureau_name));
    const dl = el("dl", null, "notice-facts");
    const fact = (k, v) => { dl.append(el("dt", k), el("dd", v)); };
    fact("Sent", when(n.issued_at) + " UTC");
    fact("To the lender", (n.partner_name || n.partner_id) + ", for " + n.purpose);
    fact("Your score", n.score + " (" + n.band + ")");
    fact("Scale", "from " + n.scale_min + " to " + n.scale_max + "; higher is better");
    fact("Scored as of", n.as_of);
    fact("Model", n.model_version);
    art.append(dl);
    art.append(el("h3", "Key factors"));
    const ol = el("ol", null, "notice-factors");
    for (const f of n.key_factors) ol.append(el("li", f.text));
    if (!n.key_factors.length) ol.append(el("li", "No factor cost you points."));
    art.append(ol);
    art.append(el("h3", "Your rights"));
    const ul = el("ul", null, "notice-rights");
    for (const r of n.rights) ul.append(el("li", r));
    art.append(ul);
    art.append(el("p", "Contact: " + n.bureau_contact, "notice-contact"));
    return art;
  },
};

/* ---------- the partner's view ---------- */

const partner = {
  start() {
    $("partner-form").addEventListener("submit", (e) => { e.preventDefault(); this.ask(); });
  },

  async ask() {
    const personId = $("person-id").value.trim();
    const purpose = $("purpose").value.trim();
    const key = $("api-key").value.trim();
    const res = await api("GET", "/v1/scores/" + encodeURIComponent(personId)
      + "?purpose=" + encodeURIComponent(purpose), { key });
    $("result").hidden = false;
    $("granted").hidden = !res.ok;
    $("refusal").hidden = res.ok;
    if (!res.ok) {
      $("refusal-code").textContent = res.data?.error || "error " + res.status;
      $("refusal-message").textContent = res.data?.message || "";
      return;
    }
    const s = res.data;
    $("p-score").textContent = s.score;
    $("p-band").textContent = s.band;
    $("p-band").dataset.band = s.band;
    $("p-asof").textContent = s.as_of;
    $("p-model").textContent = s.model_version;
    $("p-pd").textContent = (s.pd * 100).toFixed(2) + "%";
    $("p-disputes").hidden = !s.open_disputes;
    $("p-disputes").textContent = s.open_disputes
      ? s.open_disputes + " record(s) under dispute, being reinvestigated" : "";
    $("p-dimensions").replaceChildren(...Object.entries(DIMENSIONS).map(([k, label]) => {
      const li = el("li");
      const id = "p-dim-" + k;
      li.append(el("span", label, "dim-label"));
      li.firstChild.id = id;
      const bar = el("div", null, "bar");
      bar.setAttribute("role", "meter");
      bar.setAttribute("aria-labelledby", id);
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.append(el("div", null, "fill"));
      li.append(bar);
      li.append(el("span", setBar(bar, s.dimensions[k]), "dim-value"));
      return li;
    }));
    renderReasons($("p-reasons"), s.reasons);
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "person") person.start();
  else if (page === "partner") partner.start();
  else if (page === "notices") noticesPage.start();
});
