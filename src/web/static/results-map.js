// The search results on a map, beside the list (progressive enhancement: the list is the page;
// the map is drawn only when this runs and a tile server is configured). Leaflet is served by
// this app; tiles come only from the host the content security policy names.
import { CRS, circleMarker, divIcon, latLngBounds, map as leafletMap, marker, tileLayer } from '/vendor/leaflet/leaflet-src.esm.js';

const container = document.getElementById('results-map');
const items = [...document.querySelectorAll('.signpost-results > li[data-latitude]')];
if (container && items.length) {
  container.hidden = false;
  const map = leafletMap(container, { crs: CRS.EPSG3857, scrollWheelZoom: false });
  tileLayer(container.dataset.tileUrl, { attribution: container.dataset.attribution, maxZoom: 18 }).addTo(map);
  const points = [];
  items.forEach((item, index) => {
    const link = item.querySelector('h3 a');
    const at = [Number(item.dataset.latitude), Number(item.dataset.longitude)];
    points.push(at);
    // Numbered as in the list, so the map and the list can be read together.
    const label = document.createElement('span');
    label.textContent = String(index + 1);
    const pin = marker(at, {
      icon: divIcon({ className: 'signpost-map-pin', html: label, iconSize: [28, 28] }),
      title: `${index + 1}. ${link.textContent}`,
      alt: `${index + 1}. ${link.textContent}`,
      riseOnHover: true,
    }).addTo(map);
    pin.on('click', () => {
      window.location.href = link.href;
    });
    pin.on('keypress', (event) => {
      if (event.originalEvent.key === 'Enter') window.location.href = link.href;
    });
  });
  const { originLatitude, originLongitude } = container.dataset;
  if (originLatitude && originLongitude) {
    const origin = [Number(originLatitude), Number(originLongitude)];
    points.push(origin);
    circleMarker(origin, { radius: 6, className: 'signpost-map-origin', interactive: false }).addTo(map);
  }
  map.fitBounds(latLngBounds(points), { padding: [24, 24], maxZoom: 15 });
}
