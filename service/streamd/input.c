/* SPDX-License-Identifier: MIT */
/*
 * Remote input into a VM (input.h): a viewer's JSON message becomes a
 * "gvtdmabuf-input" event for the vGPU's source element, which passes it
 * to the library (gvtdmabuf_device_send_key() and friends) on its
 * streaming thread.  Input is off unless the vGPU's section says
 * `input = true`; WebRTC viewers are known by the daemon's token only, so
 * the policy is per vGPU, the same for every viewer who got in.
 */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <linux/input-event-codes.h>

#include "input.h"
#include "streamd.h"

/* KeyboardEvent.code (the physical key, layout-independent) to evdev. */
static const struct { const char *code; unsigned int key; } dom_keys[] = {
	{ "Escape", KEY_ESC }, { "Minus", KEY_MINUS }, { "Equal", KEY_EQUAL },
	{ "Backspace", KEY_BACKSPACE }, { "Tab", KEY_TAB }, { "BracketLeft", KEY_LEFTBRACE },
	{ "BracketRight", KEY_RIGHTBRACE }, { "Enter", KEY_ENTER }, { "ControlLeft", KEY_LEFTCTRL },
	{ "Semicolon", KEY_SEMICOLON }, { "Quote", KEY_APOSTROPHE }, { "Backquote", KEY_GRAVE },
	{ "ShiftLeft", KEY_LEFTSHIFT }, { "Backslash", KEY_BACKSLASH }, { "Comma", KEY_COMMA },
	{ "Period", KEY_DOT }, { "Slash", KEY_SLASH }, { "ShiftRight", KEY_RIGHTSHIFT },
	{ "NumpadMultiply", KEY_KPASTERISK }, { "AltLeft", KEY_LEFTALT }, { "Space", KEY_SPACE },
	{ "CapsLock", KEY_CAPSLOCK }, { "NumLock", KEY_NUMLOCK }, { "ScrollLock", KEY_SCROLLLOCK },
	{ "Numpad7", KEY_KP7 }, { "Numpad8", KEY_KP8 }, { "Numpad9", KEY_KP9 },
	{ "NumpadSubtract", KEY_KPMINUS }, { "Numpad4", KEY_KP4 }, { "Numpad5", KEY_KP5 },
	{ "Numpad6", KEY_KP6 }, { "NumpadAdd", KEY_KPPLUS }, { "Numpad1", KEY_KP1 },
	{ "Numpad2", KEY_KP2 }, { "Numpad3", KEY_KP3 }, { "Numpad0", KEY_KP0 },
	{ "NumpadDecimal", KEY_KPDOT }, { "IntlBackslash", KEY_102ND }, { "F11", KEY_F11 },
	{ "F12", KEY_F12 }, { "NumpadEnter", KEY_KPENTER }, { "ControlRight", KEY_RIGHTCTRL },
	{ "NumpadDivide", KEY_KPSLASH }, { "PrintScreen", KEY_SYSRQ }, { "AltRight", KEY_RIGHTALT },
	{ "Home", KEY_HOME }, { "ArrowUp", KEY_UP }, { "PageUp", KEY_PAGEUP },
	{ "ArrowLeft", KEY_LEFT }, { "ArrowRight", KEY_RIGHT }, { "End", KEY_END },
	{ "ArrowDown", KEY_DOWN }, { "PageDown", KEY_PAGEDOWN }, { "Insert", KEY_INSERT },
	{ "Delete", KEY_DELETE }, { "Pause", KEY_PAUSE }, { "MetaLeft", KEY_LEFTMETA },
	{ "MetaRight", KEY_RIGHTMETA }, { "ContextMenu", KEY_COMPOSE },
};

/* "KeyA".."KeyZ", "Digit0".."Digit9", "F1".."F10", then the table; 0 if unknown. */
static unsigned int dom_key_code(const char *code)
{
	static const unsigned int letters[26] = {
		KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K,
		KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V,
		KEY_W, KEY_X, KEY_Y, KEY_Z,
	};

	if (g_str_has_prefix(code, "Key") && code[3] >= 'A' && code[3] <= 'Z' && !code[4])
		return letters[code[3] - 'A'];
	if (g_str_has_prefix(code, "Digit") && code[5] >= '0' && code[5] <= '9' && !code[6])
		return code[5] == '0' ? KEY_0 : KEY_1 + (unsigned int)(code[5] - '1');
	if (code[0] == 'F' && code[1] >= '1' && code[1] <= '9' && (!code[2] || (code[1] == '1' && code[2] == '0' && !code[3])))
		return code[2] ? KEY_F10 : KEY_F1 + (unsigned int)(code[1] - '1');
	for (size_t i = 0; i < G_N_ELEMENTS(dom_keys); i++)
		if (!strcmp(code, dom_keys[i].code))
			return dom_keys[i].key;
	return 0;
}

bool streamd_input_allowed(struct streamd_vgpu *v, const char *user)
{
	(void)user;	/* per vGPU: see the top of this file */
	return streamd_vgpu_input_enabled(v);
}

#define BAD(...) \
	(g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__), (GstStructure *)NULL)

/* A member that must be an integer in [lo, hi]. */
static bool get_int(JsonObject *o, const char *type, const char *name, gint64 lo, gint64 hi,
		    gint64 *ret, GError **error)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "a %s message needs \"%s\" as an integer", type, name);
		return false;
	}
	*ret = json_node_get_int(n);
	if (*ret < lo || *ret > hi) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s: \"%s\" is %" G_GINT64_FORMAT ", not in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
			    type, name, *ret, lo, hi);
		return false;
	}
	return true;
}

static bool get_bool(JsonObject *o, const char *type, const char *name, bool *ret, GError **error)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "a %s message needs \"%s\" as true or false", type, name);
		return false;
	}
	*ret = json_node_get_boolean(n);
	return true;
}

/* A string member, NULL when missing or not a string. */
static const char *get_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

GstStructure *streamd_input_parse(const char *message, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) e = NULL;
	JsonNode *root;
	JsonObject *o;
	const char *type;
	gint64 a, b;
	bool down;

	if (!message || !json_parser_load_from_data(p, message, -1, &e))
		return BAD("not JSON: %s", e ? e->message : "no message");
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return BAD("not a JSON object");
	o = json_node_get_object(root);
	type = get_str(o, "type");
	if (!type)
		return BAD("no \"type\" string (key, move, button or wheel)");
	if (!strcmp(type, "key")) {
		const char *code = get_str(o, "code");
		unsigned int key;

		if (!code)
			return BAD("a key message needs \"code\" as a KeyboardEvent.code string");
		key = dom_key_code(code);
		if (!key)
			return BAD("key \"%s\" is not a key this daemon knows", code);
		if (!get_bool(o, type, "down", &down, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "key",
					 "code", G_TYPE_UINT, key, "pressed", G_TYPE_BOOLEAN, down, NULL);
	}
	if (!strcmp(type, "move")) {
		if (!get_int(o, type, "x", 0, 65535, &a, error) || !get_int(o, type, "y", 0, 65535, &b, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "move",
					 "x", G_TYPE_UINT, (guint)a, "y", G_TYPE_UINT, (guint)b, NULL);
	}
	if (!strcmp(type, "button")) {
		static const guint btn[] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };

		if (!get_int(o, type, "button", 0, 2, &a, error) || !get_bool(o, type, "down", &down, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "button",
					 "button", G_TYPE_UINT, btn[a], "pressed", G_TYPE_BOOLEAN, down, NULL);
	}
	if (!strcmp(type, "wheel")) {
		if (!get_int(o, type, "steps", -120, 120, &a, error))
			return NULL;
		if (!a)
			return BAD("wheel: \"steps\" is 0");
		return gst_structure_new("gvtdmabuf-input", "type", G_TYPE_STRING, "wheel",
					 "steps", G_TYPE_INT, (gint)a, NULL);
	}
	return BAD("\"type\" is \"%s\", not key, move, button or wheel", type);
}

bool streamd_input_message(struct streamd_vgpu *v, const char *user,
			   const char *message, GError **error)
{
	GstStructure *s;

	if (!streamd_input_allowed(v, user)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "input is off for vGPU %s (view only)", streamd_vgpu_device(v));
		return false;
	}
	s = streamd_input_parse(message, error);
	if (!s)
		return false;
	if (!streamd_vgpu_send_input(v, s)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "vGPU %s is not capturing: input dropped", streamd_vgpu_device(v));
		return false;
	}
	return true;
}
