"""A small CLI that asks a weather API ($WEATHER_API) for today's weather and prints one line."""
import json
import os
import sys
import urllib.error
import urllib.request

api = os.environ.get("WEATHER_API")
if not api:
    sys.exit("weather: set WEATHER_API to the weather service's URL")
city = sys.argv[1] if len(sys.argv) > 1 else "London"
try:
    with urllib.request.urlopen(f"{api.rstrip('/')}/today?city={city}", timeout=10) as response:
        today = json.load(response)
except urllib.error.HTTPError as error:
    sys.exit(f"weather: the service answered {error.code}")
print(f"{city}: {today['summary']}, {today['celsius']} °C")
