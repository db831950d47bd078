/* Keyboard path: after a change of filter, view or period (a new page), focus goes back to
   what changed (the results, or the period's heading) instead of the top of the page.
   A link or form inside an element marked data-focus-results="ID" notes ID before leaving;
   the next page focuses the element of that ID, once. */
(function () {
  'use strict';
  var KEY = 'maillage-focus';

  function remember(event) {
    var holder = event.target.closest && event.target.closest('[data-focus-results]');
    if (!holder) { return; }
    if (event.type === 'click' && !event.target.closest('a[href]')) { return; }
    try { sessionStorage.setItem(KEY, holder.getAttribute('data-focus-results')); }
    catch (e) { /* storage refused: focus stays at the top */ }
  }
  document.addEventListener('click', remember);
  document.addEventListener('submit', remember);

  var id = null;
  try {
    id = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
  } catch (e) { return; }
  var target = id && document.getElementById(id);
  if (target) { target.focus(); }
})();
