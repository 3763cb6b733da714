"""Map building: folium/Leaflet layers and styles from GeoDataFrames."""
