/* The lines of the network page's map: drawn on the map carte.js made (el.carte), one per
   confirmed link whose two associations are placed. A line opens the link's page; the
   same links are listed after the map, which is the page without JavaScript. */
(function () {
  'use strict';
  var el = document.getElementById('carte');
  var dataEl = document.getElementById('reseau-liens');
  if (!el || !dataEl || !el.carte || !window.L) { return; }
  var map = el.carte;
  JSON.parse(dataEl.textContent || '[]').forEach(function (line) {
    // an element, not a string: Leaflet sets a string tooltip as HTML, and the label holds
    // the associations' names as people wrote them
    var label = document.createElement('span');
    label.textContent = line.label;
    L.polyline([line.from, line.to], {
      className: 'reseau-lien reseau-' + line.kind, color: '#6b3fa0', weight: 3, opacity: 0.75
    })
      .bindTooltip(label, { sticky: true })
      .on('click', function () { window.location.href = line.url; })
      .addTo(map);
  });
})();
