/* "Autour de moi": the browser's position instead of an address, where the browser can
   give it and the visitor agrees. Rounded to 3 decimals (about 100 m): the agenda needs no
   more, and the URL says no more. Without JavaScript the address field does the same. */
(function () {
  'use strict';
  var button = document.getElementById('ma-position');
  var form = document.getElementById('autour-form');
  var status = document.getElementById('position-statut');
  if (!button || !form || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener('click', function () {
    status.textContent = 'Recherche de votre position…';
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.near.value = pos.coords.latitude.toFixed(3) + ',' +
        pos.coords.longitude.toFixed(3);
      form.elements.autour.value = 'ma position';
      form.submit();
    }, function () {
      status.textContent = 'Votre position n’est pas disponible\u202f: saisissez une adresse.';
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
})();
