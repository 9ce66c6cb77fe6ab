"use strict";
// The filters: a finding is shown when its severity and its kind are both ticked; a severity's
// section is hidden when it shows no finding.
const boxes = Array.from(document.querySelectorAll("input[data-filter]"));

function ticked(group) {
  return new Set(boxes.filter((b) => b.dataset.filter === group && b.checked).map((b) => b.value));
}

function applyFilters() {
  const severities = ticked("severity");
  const kinds = ticked("kind");
  const findings = document.querySelectorAll("article.finding");
  let shown = 0;
  for (const finding of findings) {
    finding.hidden = !(severities.has(finding.dataset.severity) && kinds.has(finding.dataset.kind));
    shown += finding.hidden ? 0 : 1;
  }
  for (const section of document.querySelectorAll("section.severity")) {
    section.hidden = !section.querySelector("article.finding:not([hidden])");
  }
  document.getElementById("shown").textContent =
    `${shown} of ${findings.length} findings shown`;
}

boxes.forEach((box) => box.addEventListener("change", applyFilters));

// The copy buttons: the text of the element a button names goes to the clipboard; where the
// browser refuses (a page opened from a file may not write the clipboard), it is selected.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const target = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(target.textContent);
      button.textContent = "copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(target);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      button.textContent = "selected: Ctrl+C";
    }
    setTimeout(() => { button.textContent = "copy"; }, 2500);
  });
}
