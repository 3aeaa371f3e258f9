/* SPDX-License-Identifier: MIT */
#ifndef GVT_STREAMD_INPUT_H
#define GVT_STREAMD_INPUT_H

#include <stdbool.h>
#include <glib.h>

struct streamd_vgpu;

/*
 * Input from a remote viewer into the VM (issue 11: the WebRTC page's data
 * channel "input").  @p message is one JSON object, as the page sends it:
 *
 *   {"type":"key","code":"KeyA","down":true}       KeyboardEvent.code
 *   {"type":"move","x":120,"y":45}                 surface pixels
 *   {"type":"button","button":0,"down":true}       MouseEvent.button 0/1/2
 *   {"type":"wheel","steps":1}                     notches, > 0 away from the user
 *
 * @p user is the viewer's user name, NULL for an anonymous viewer.
 * Returns false with @p error when input is not allowed for this vGPU and
 * user (G_IO_ERROR_PERMISSION_DENIED: the viewer is view only), when the
 * message is not one of the above (G_IO_ERROR_INVALID_DATA, naming what is
 * wrong), or when the VM refused it.  Called on the main context.
 */
bool streamd_input_message(struct streamd_vgpu *v, const char *user,
			   const char *message, GError **error);

/* Whether @p user (NULL: anonymous) may send input to @p v at all; the page
 * shows "view only" when not. */
bool streamd_input_allowed(struct streamd_vgpu *v, const char *user);

/* Pieces of the above, for tests and other callers. */
#include <gst/gst.h>
/* The evdev key of a KeyboardEvent.code ("KeyA", "ShiftLeft", "Enter",
 * "ArrowUp", "F1", ...), 0 for one the table lacks. */
unsigned int streamd_input_key_code(const char *code);
/* The policy: off unless @p input; then @p users (NULL: every viewer let
 * in, anonymous too) names who may. */
bool streamd_input_policy(bool input, char *const *users, const char *user);
/* One message as a "gvtdmabuf-input" structure (gvtdmabufsrc's custom
 * event), or NULL with G_IO_ERROR_INVALID_DATA naming what is wrong. */
GstStructure *streamd_input_parse(const char *message, GError **error);

#endif
