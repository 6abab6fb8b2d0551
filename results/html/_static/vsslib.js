// Written by vsslib.study.site (make html): the navigation scrolls in a box of its own (vsslib.css); scroll
// it so the current page's entry is in view, a third of the way down.
document.addEventListener("DOMContentLoaded", () => {
  const links = document.querySelectorAll(".bd-sidebar-primary .bd-docs-nav li.current > a");
  if (!links.length) return;
  const link = links[links.length - 1];
  const nav = link.closest(".sidebar-primary-item");
  const top = link.getBoundingClientRect().top - nav.getBoundingClientRect().top + nav.scrollTop;
  if (top + link.offsetHeight > nav.scrollTop + nav.clientHeight) nav.scrollTop = top - nav.clientHeight / 3;
});
