#include "draw_order.h"

#include <algorithm>

namespace a2w::tasks {
namespace {

// mjr_render's test (and threshold) for the geoms it draws in its blended pass, with the head position it
// uses: the average of the two eyes.
bool drawn_opaque(const mjvGeom& g, const float head[3]) {
  if (g.rgba[3] < 0.995f || g.reflectance > 0) return false;
  // A plane seen from behind is drawn see-through.
  const float dz =
      (head[0] - g.pos[0]) * g.mat[2] + (head[1] - g.pos[1]) * g.mat[5] + (head[2] - g.pos[2]) * g.mat[8];
  return dz >= 0.0f;
}

}  // namespace

int draw_opaque_planes_last(mjvScene* scene) {
  const mjvGLCamera head = mjv_averageCamera(&scene->camera[0], &scene->camera[1]);
  auto moves = [&](const mjvGeom& g) { return g.type == mjGEOM_PLANE && drawn_opaque(g, head.pos); };
  mjvGeom* end = scene->geoms + scene->ngeom;
  // The scene holds a few dozen geoms: a stable partition through a small buffer is cheap next to drawing.
  const mjvGeom* moved =
      std::stable_partition(scene->geoms, end, [&](const mjvGeom& g) { return !moves(g); });
  return static_cast<int>(end - moved);
}

}  // namespace a2w::tasks
