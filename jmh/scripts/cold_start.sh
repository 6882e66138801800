#!/usr/bin/env bash
# Cold `segment` of one image, before and after, as issue 19 measures it: a new JVM per run (launcher included),
# a ViT-B/16-shaped fp16 random file, six classes, /usr/bin/time figures (wall, CPU, peak RSS), alternating rounds;
# then `bench --cold` of the new jar for the warm per-image time and the ratios. See docs/command-line.md "Caches".
#
#   jmh/scripts/cold_start.sh NEW.jar [OLD.jar] [IMAGE] [ROUNDS]
#
# NEW.jar: engine/target/engine.jar of this branch; OLD.jar: the same built from the commit before (optional).
# Each round: OLD (no cache exists for it), NEW with an empty user cache (first), NEW again (second, cached).
set -euo pipefail
NEW=${1:?usage: cold_start.sh NEW.jar [OLD.jar] [IMAGE] [ROUNDS]}
OLD=${2:-}
IMAGE=${3:-}
ROUNDS=${4:-3}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "error: needs GNU time at /usr/bin/time" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CLASSES=road,sky,tree,building,car,person

# the model: ViT-B/16 shapes, random fp16 values (speed does not depend on them), written by the engine's own tool
cat > "$WORK/MakeRandom.java" <<'JAVA'
public class MakeRandom {
    public static void main(String[] a) throws Exception {
        dev.clipengine.model.RandomWeights.write(java.nio.file.Path.of(a[0]),
                dev.clipengine.model.RandomWeights.VIT_B_16, dev.clipengine.weights.DType.F16, 1);
    }
}
JAVA
"$JAVA" --add-modules jdk.incubator.vector -cp "$NEW" "$WORK/MakeRandom.java" "$WORK/b16-f16.safetensors" 2>/dev/null
MODEL=$WORK/b16-f16.safetensors
if [ -z "$IMAGE" ]; then
  IMAGE=$WORK/scene.png
  # a plain 480x360 picture when none is given (the issue used a CamVid frame)
  cat > "$WORK/Scene.java" <<'JAVA'
public class Scene {
    public static void main(String[] a) throws Exception {
        var img = new java.awt.image.BufferedImage(480, 360, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 360; y++) for (int x = 0; x < 480; x++) img.setRGB(x, y, y < 150 ? 0x87ceeb : (x * 7 + y * 3) * 0x010101 & 0x7f7f7f);
        javax.imageio.ImageIO.write(img, "png", new java.io.File(a[0]));
    }
}
JAVA
  "$JAVA" "$WORK/Scene.java" "$IMAGE"
fi

run() { # label jar
  "$TIME" -f "$1 wall_s=%e user_s=%U sys_s=%S peak_rss_kb=%M" "$JAVA" -jar "$2" segment --model "$MODEL" \
    --image "$IMAGE" --classes "$CLASSES" --out "$WORK/out" 2>&1 >/dev/null | tail -1
}
for r in $(seq "$ROUNDS"); do
  echo "# round $r"
  export CLIP_ENGINE_CACHE=$WORK/cache-$r
  [ -n "$OLD" ] && run before "$OLD"
  run after-first "$NEW"
  run after-second "$NEW"
done
unset CLIP_ENGINE_CACHE
echo "# bench --cold (new jar): first, cached and warm per-image times in one run"
"$JAVA" -jar "$NEW" bench --cold --model "$MODEL" --image "$IMAGE"
