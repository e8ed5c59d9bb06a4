#pragma once
// Internal to a2w::tasks: draws the scene's opaque planes after its other opaque geoms.
//
// MuJoCo's renderer draws opaque geoms in scene order, and the floor, the first geom of the world body, comes
// first: every pixel of it is lit and textured, and most are then drawn over by the table and the arm. On
// llvmpipe that shading is a third of a 64x64 frame. Drawn last, the floor's hidden pixels fail the depth
// test before they are shaded. The image is the same bit for bit: with the depth test, each pixel keeps the
// nearest fragment whatever the order, and order matters only where another geom lies exactly in the
// plane, which no visible surface of a2w's scenes does (the renderer's tests check every built-in task).
// Only planes that are opaque, not reflective and seen from their front side move: MuJoCo draws the others
// in passes of their own (blended or reflected), where order does matter.

#include <mujoco/mujoco.h>

namespace a2w::tasks {

// Moves the opaque planes of `scene` (see above) to the end of its geom list, keeping the order of the
// planes among themselves and of everything else. Returns how many moved.
int draw_opaque_planes_last(mjvScene* scene);

}  // namespace a2w::tasks
