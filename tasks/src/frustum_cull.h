#pragma once
// Internal to a2w::tasks: drops the geoms of an mjvScene that cannot reach the image.
//
// MuJoCo's renderer draws every geom of the scene and lets OpenGL clip what the camera does not see. On
// llvmpipe a 64x64 frame costs about 10 us per drawn geom, almost all of it vertex work for geoms that end
// up off screen: the wrist camera sees half the scene, the front camera two thirds. A geom whose bounding
// sphere lies wholly outside the camera's view frustum produces no fragment, so leaving it out gives the
// same pixels and the same depth, bit for bit (the renderer's tests check it on every task). Only valid when
// nothing off screen shows up in the image: shadows and reflections off, no model transformation.

#include <mujoco/mujoco.h>

namespace a2w::tasks {

// Removes from `scene` (keeping the order of the rest) every model geom whose bounding sphere
// (geom_rbound) is wholly behind the near plane or outside one of the four side planes of the view frustum,
// for a viewport of width / height `aspect` (MuJoCo sets the horizontal extent from the viewport's aspect).
// The scene's two stereo eyes (camera[0], camera[1]) and their average are all checked: a geom goes only
// when none of them sees it. Planes, geoms with no bounding radius and decorations are kept. Returns how
// many geoms were removed.
int cull_geoms_outside_view(const mjModel* model, mjvScene* scene, double aspect);

}  // namespace a2w::tasks
