// Evidence rows and page boxes point at each other: a click on a compared value opens its
// page and flashes the box; a click on a box (a plain link) flashes its finding.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const flash = (element) => {
    element.classList.remove("flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash");
  };
  const showBox = (id) => {
    const box = document.getElementById(id);
    if (!box) return;
    const details = box.closest("details");
    if (details) details.open = true;
    box.scrollIntoView({ behavior: "smooth", block: "center" });
    flash(box);
  };
  document.querySelectorAll("tr.has-box").forEach((row) => {
    row.addEventListener("click", () => showBox(row.dataset.box));
    row.addEventListener("keydown", (event) => { if (event.key === "Enter") showBox(row.dataset.box); });
  });
  document.querySelectorAll("a.box").forEach((box) => {
    box.addEventListener("click", () => {
      const target = document.querySelector(box.getAttribute("href"));
      if (target) flash(target);
    });
  });
});
