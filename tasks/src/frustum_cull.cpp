#include "frustum_cull.h"

#include <cmath>

namespace a2w::tasks {
namespace {

// One eye's view frustum: a geom is outside when its bounding sphere is wholly behind the near plane or
// beyond one of the four side planes.
class Frustum {
 public:
  Frustum(const mjvGLCamera& c, double aspect) : pos_{c.pos[0], c.pos[1], c.pos[2]} {
    for (int k = 0; k < 3; ++k) forward_[k] = c.forward[k], up_[k] = c.up[k];
    right_[0] = forward_[1] * up_[2] - forward_[2] * up_[1];
    right_[1] = forward_[2] * up_[0] - forward_[0] * up_[2];
    right_[2] = forward_[0] * up_[1] - forward_[1] * up_[0];
    // As mjr_render sets it: glFrustum(center -+ half width, bottom, top, near, far), the half width matched
    // to the viewport's aspect. A side plane passes through the eye and one edge of the near rectangle.
    near_ = c.frustum_near;
    const double half_width = 0.5 * aspect * (double(c.frustum_top) - c.frustum_bottom);
    const double left = c.frustum_center - half_width, right = c.frustum_center + half_width;
    set(0, near_, 0, -right);
    set(1, -near_, 0, left);
    set(2, 0, near_, -double(c.frustum_top));
    set(3, 0, -near_, c.frustum_bottom);
  }

  bool outside(const float centre[3], double radius) const {
    const double d[3] = {centre[0] - pos_[0], centre[1] - pos_[1], centre[2] - pos_[2]};
    const double x = dot(d, right_), y = dot(d, up_), z = dot(d, forward_);
    if (z + radius < near_) return true;
    for (const auto& n : sides_)
      if (n[0] * x + n[1] * y + n[2] * z > radius) return true;
    return false;
  }

 private:
  static double dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  // Outward unit normal in camera coordinates (x right, y up, z along the view).
  void set(int i, double x, double y, double z) {
    const double n = std::sqrt(x * x + y * y + z * z);
    sides_[i][0] = x / n, sides_[i][1] = y / n, sides_[i][2] = z / n;
  }
  double pos_[3], forward_[3], up_[3], right_[3];
  double near_ = 0;
  double sides_[4][3] = {};
};

}  // namespace

int cull_geoms_outside_view(const mjModel* model, mjvScene* scene, double aspect) {
  // The scene holds a left and a right eye (MuJoCo's stereo, ipd apart); a mono image is drawn from one of
  // them or from their average, depending on the version. A geom goes only when all three miss it.
  const mjvGLCamera average = mjv_averageCamera(&scene->camera[0], &scene->camera[1]);
  const Frustum eyes[3] = {{scene->camera[0], aspect}, {scene->camera[1], aspect}, {average, aspect}};
  int kept = 0;
  for (int i = 0; i < scene->ngeom; ++i) {
    const mjvGeom& g = scene->geoms[i];
    bool visible = true;
    if (g.objtype == mjOBJ_GEOM && g.objid >= 0 && g.objid < model->ngeom && g.type != mjGEOM_PLANE &&
        g.type != mjGEOM_HFIELD && model->geom_rbound[g.objid] > 0) {
      // A margin for the float positions of the scene and rounding in the GL pipeline.
      const double radius = model->geom_rbound[g.objid] * 1.01 + 1e-4;
      visible = !(eyes[0].outside(g.pos, radius) && eyes[1].outside(g.pos, radius) &&
                  eyes[2].outside(g.pos, radius));
    }
    if (visible) {
      if (kept != i) scene->geoms[kept] = g;
      ++kept;
    }
  }
  const int removed = scene->ngeom - kept;
  scene->ngeom = kept;
  return removed;
}

}  // namespace a2w::tasks
