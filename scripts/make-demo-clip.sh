#!/usr/bin/env bash
# Regenerates samples/footsteps.mp4, the demo input of test_input.json: two "feet" that step
# forward in turn, one step every 0.5 s from t=0.5 s to t=5.5 s (24 fps, so on frames 12, 24, …),
# over a still, slightly grainy floor. Uses whichever ffmpeg is given (default: the one on PATH).
set -euo pipefail
FFMPEG=${FFMPEG:-ffmpeg}
out=${1:-"$(dirname "$0")/../samples/footsteps.mp4"}
"$FFMPEG" -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x3a3f47:s=640x360:r=24:d=6" \
  -f lavfi -i "color=c=0xe8e2d0:s=70x28:r=24:d=6" \
  -f lavfi -i "color=c=0xd8d0bc:s=70x28:r=24:d=6" \
  -filter_complex "[0:v]noise=alls=6:allf=t+u[floor];\
[floor][1:v]overlay=x='10+95*floor(t+0.5)':y=200:eval=frame[a];\
[a][2:v]overlay=x='60+95*floor(t)':y=250:eval=frame,format=yuv420p[v]" \
  -map "[v]" -c:v libx264 -preset slow -crf 26 -g 48 -movflags +faststart "$out"
