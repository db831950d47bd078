/* The map of the agenda's "Carte" view (Leaflet, served from this site), and of the
   directory of associations (a place per association, with its "label").
   The list of places under it is the page without JavaScript. Under the markers, the outlines
   of the quartiers and communes (data-boundaries, from this site) are the map's own base
   layer: with no tile server configured, or when its tiles cannot be loaded (offline, server
   down), the map shows them alone, labelled. Only when neither can be drawn is the map
   removed, and the list of places remains. */
(function () {
  'use strict';
  var el = document.getElementById('carte');
  var dataEl = document.getElementById('carte-donnees');
  if (!el || !dataEl || !window.L) { return; }
  var places = JSON.parse(dataEl.textContent || '[]');
  el.hidden = false;

  // Leaflet's controls in French; Esc closes a popup even when the focus is inside it
  // (Leaflet only listens while the map itself has the focus) and gives the focus back.
  var map = L.map(el, { scrollWheelZoom: false, zoomControl: false });
  el.carte = map;  // for a page's own layers drawn after this script (the network's lines)
  L.control.zoom({ zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
  map.on('popupopen', function (e) {
    var box = e.popup.getElement();
    var close = box && box.querySelector('.leaflet-popup-close-button');
    if (close) { close.setAttribute('aria-label', 'Fermer'); close.title = 'Fermer'; }
    var marker = e.popup._source;
    if (box) {
      box.addEventListener('keydown', function (event) {
        if (event.key !== 'Escape') { return; }
        map.closePopup();
        if (marker && marker.getElement && marker.getElement()) { marker.getElement().focus(); }
      });
    }
  });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  var attribution = document.createElement('span');
  var url = el.getAttribute('data-attribution-url');
  var label = el.getAttribute('data-attribution') || '';
  if (url) {
    var a = document.createElement('a');
    a.href = url;
    a.textContent = label;
    attribution.appendChild(a);
  } else {
    attribution.textContent = label;
  }
  var tileUrl = el.getAttribute('data-tile-url');
  var boundariesUrl = el.getAttribute('data-boundaries');
  var tilesOk = Boolean(tileUrl);
  var boundariesOk = Boolean(boundariesUrl);
  var tiles = null;
  if (tileUrl) {
    tiles = L.tileLayer(tileUrl, { maxZoom: 19, attribution: attribution.innerHTML });
    var loaded = false;
    var failures = 0;
    tiles.on('tileload', function () { loaded = true; });
    tiles.on('tileerror', function () {
      failures += 1;
      if (!loaded && failures >= 2 && tilesOk) {
        tilesOk = false;
        map.removeLayer(tiles);
        withoutTiles();
      }
    });
    tiles.addTo(map);
  } else {
    withoutTiles();
  }

  // The base layer of this site: outlines under the markers, names at their label points.
  map.createPane('limites').style.zIndex = 250;  // over the tiles, under the markers
  map.createPane('noms').style.zIndex = 260;
  if (boundariesUrl) {
    fetch(boundariesUrl, { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) { throw new Error('HTTP ' + r.status); }
        return r.json();
      })
      .then(drawBoundaries)
      .catch(function () {
        boundariesOk = false;
        if (!tilesOk) { offline(); }
      });
  }

  function drawBoundaries(data) {
    L.geoJSON(data, {
      pane: 'limites',
      interactive: false,
      attribution: 'Limites des quartiers et communes\u202f: Rennes Métropole (ODbL)',
      style: function (feature) {
        var kind = feature.properties.kind;
        return {
          className: 'area area-' + kind,
          color: kind === 'quartier' ? '#5b6770' : '#3d4850',
          weight: kind === 'quartier' ? 1.5 : 2,
          dashArray: kind === 'quartier' ? '5 4' : null,
          fill: true,
          fillColor: kind === 'quartier' ? '#f3efe4' : '#faf8f2',
          fillOpacity: 0
        };
      }
    }).addTo(map);
    data.features.forEach(function (feature) {
      var p = feature.properties;
      var name = document.createElement('span');
      name.textContent = p.name;
      L.marker([p.label[1], p.label[0]], {
        pane: 'noms', interactive: false, keyboard: false,
        icon: L.divIcon({
          className: 'area-label area-label-' + p.kind +
            (p.kind === 'commune' && p.code === '35238' ? ' area-label-rennes' : ''),
          html: name, iconSize: null
        })
      }).addTo(map);
    });
    zoomClasses();
  }

  function zoomClasses() {
    var zoom = map.getZoom();
    el.classList.toggle('zoom-loin', zoom < 11);
    el.classList.toggle('zoom-quartiers', zoom >= 12);
  }
  map.on('zoomend', zoomClasses);

  function withoutTiles() {
    if (!boundariesOk) { offline(); return; }
    el.classList.add('sans-tuiles');
    var note = document.getElementById('carte-limites');
    if (note && tileUrl) { note.hidden = false; }
  }

  function popup(place) {
    var box = document.createElement('div');
    var title = document.createElement('strong');
    title.textContent = place.name;
    box.appendChild(title);
    if (place.commune_only) {
      var note = document.createElement('p');
      note.textContent = 'Lieu précis non communiqué\u202f: quelque part dans la commune.';
      box.appendChild(note);
    }
    var ul = document.createElement('ul');
    place.events.forEach(function (ev) {
      var li = document.createElement('li');
      var link = document.createElement('a');
      var local = ev.url.indexOf('/evenement/') === 0 || ev.url.indexOf('/associations/') === 0;
      link.href = local ? ev.url : '#';
      link.textContent = ev.title;
      li.appendChild(link);
      if (ev.when) { li.appendChild(document.createTextNode(' — ' + ev.when)); }
      ul.appendChild(li);
    });
    if (place.more) {
      var more = document.createElement('li');
      more.textContent = 'et ' + place.more + (place.more > 1 ? ' autres' : ' autre');
      ul.appendChild(more);
    }
    box.appendChild(ul);
    return box;
  }

  var bounds = [];
  places.forEach(function (place) {
    var n = place.events.length + place.more;
    // a place of the agenda says how many events; another map (the directory) its label
    var name = place.label || (place.name + ' : ' + n + (n > 1 ? ' événements' : ' événement'));
    if (place.commune_only) {
      // Only the commune is known: an area around its centre, never a pin on a false place.
      name = place.name + ' (lieu précis non communiqué) : ' + n +
        (n > 1 ? ' événements' : ' événement');
      L.circle([place.lat, place.lon], {
        radius: 1200, weight: 2, dashArray: '6 6', fillOpacity: 0.08, interactive: false
      }).addTo(map);
    }
    L.marker([place.lat, place.lon], {
      title: name, alt: name, keyboard: true, opacity: place.commune_only ? 0.6 : 1
    })
      .bindPopup(popup(place))
      .addTo(map);
    bounds.push([place.lat, place.lon]);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { paddingTopLeft: [30, 50], paddingBottomRight: [30, 20], maxZoom: 16 });
  } else {
    map.setView([48.1113, -1.6800], 13);  // Rennes
  }

  function offline() {
    if (el.classList.contains('hors-ligne')) { return; }
    el.classList.add('hors-ligne');
    var limites = document.getElementById('carte-limites');
    if (limites) { limites.hidden = true; }
    map.remove();
    el.hidden = true;
    var note = document.getElementById('carte-hors-ligne');
    if (note) { note.hidden = false; }
  }
})();
