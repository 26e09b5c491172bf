// The desk's one script: live counters and verdicts while editing, drag-and-drop pins.
// Everything it writes into the page goes through textContent (never innerHTML).
"use strict";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showChannel(section, m) {
  const verdict = section.querySelector(".verdict");
  verdict.className = "verdict " + m.state;
  verdict.textContent = m.label;
  const single = section.querySelector(".counter.single");
  if (single && m.single !== undefined) {
    single.textContent = m.single + "/" + m.limit + " in one post (" + m.counter + ")";
    single.classList.toggle("over", m.single > m.limit);
  }
  const parts = section.querySelector(".parts");
  if (parts) {
    parts.replaceChildren(...m.parts.map((text, i) => {
      const card = el("div", "post-card");
      card.append(el("pre", "", text));
      const n = m.lengths[i];
      card.append(el("span", "counter" + (m.limit && n > m.limit ? " over" : ""), n + "/" + m.limit));
      return card;
    }));
  }
  const problems = section.querySelector(".problems");
  problems.replaceChildren(...m.problems.map((p) => el("li", "", p)));
}

function setupEditor(form) {
  let timer = null;
  let asked = 0;
  const verdicts = {};
  for (const section of document.querySelectorAll("section.channel")) {
    verdicts[section.dataset.channel] = !section.querySelector(".verdict.refused");
  }
  async function measure() {
    const mine = ++asked;
    const response = await fetch(form.dataset.measure, {
      method: "POST", body: new FormData(form), credentials: "same-origin",  // form= fields too
      headers: { "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
    });
    if (!response.ok || mine !== asked) return;
    const data = await response.json();
    const sc = document.getElementById("summary-counter");
    sc.textContent = data.summary + "/" + data.summary_max;
    sc.classList.toggle("over", data.summary > data.summary_max);
    // the server answers for the channels the change can touch; the others keep their verdict
    for (const m of data.channels) {
      verdicts[m.channel] = m.ok;
      for (const section of document.querySelectorAll("section.channel")) {
        if (section.dataset.channel === m.channel) showChannel(section, m);
      }
      for (const counter of document.querySelectorAll(".variant-counter")) {
        if (counter.dataset.profile === m.profile && m.single !== undefined) {
          counter.textContent = m.single + "/" + m.limit + " · " + m.label;
          counter.classList.toggle("over", m.single > m.limit);
        }
      }
    }
    const refused = Object.keys(verdicts).filter((c) => !verdicts[c]);
    const overall = document.getElementById("overall");
    overall.className = "verdict " + (refused.length ? "refused" : "ok");
    overall.textContent = refused.length ? "refused on " + refused.join(", ") : "guard ok";
    form.dataset.measured = String(mine);
  }
  for (const area of document.querySelectorAll("[data-edit]")) {
    area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(measure, 150); });
  }
  measure();
}

function setupCalendar() {
  for (const chip of document.querySelectorAll(".chip[draggable]")) {
    chip.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", chip.dataset.item));
  }
  for (const slot of document.querySelectorAll(".slot[data-slot]")) {
    slot.addEventListener("dragover", (e) => { e.preventDefault(); slot.classList.add("drop-target"); });
    slot.addEventListener("dragleave", () => slot.classList.remove("drop-target"));
    slot.addEventListener("drop", (e) => {
      e.preventDefault();
      const item = e.dataTransfer.getData("text/plain");
      const form = slot.querySelector(".pin-form");
      if (!item || !form) return;
      form.querySelector("select[name=item]").value = item;
      form.submit();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("edit");
  if (form) setupEditor(form);
  setupCalendar();
});
