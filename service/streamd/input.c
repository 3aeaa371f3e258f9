/* SPDX-License-Identifier: MIT */
/*
 * Remote input into a VM (input.h): the page's JSON messages, checked and
 * turned into evdev codes, sent as a "gvtdmabuf-input" event into the
 * vGPU's gvtdmabufsrc, which hands them to QEMU's D-Bus display.  View
 * only unless the vGPU's section says input = true (input-users: who).
 */
#define G_LOG_DOMAIN "gvt-streamd"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <linux/input-event-codes.h>

#include "input.h"
#include "streamd.h"

/* KeyboardEvent.code (UI Events KeyboardEvent code values) -> evdev. */
static const struct {
	const char *code;
	unsigned short key;
} key_codes[] = {
	{ "Escape", KEY_ESC }, { "Enter", KEY_ENTER }, { "NumpadEnter", KEY_KPENTER },
	{ "Tab", KEY_TAB }, { "Backspace", KEY_BACKSPACE }, { "Space", KEY_SPACE },
	{ "Delete", KEY_DELETE }, { "Insert", KEY_INSERT }, { "Home", KEY_HOME },
	{ "End", KEY_END }, { "PageUp", KEY_PAGEUP }, { "PageDown", KEY_PAGEDOWN },
	{ "ArrowLeft", KEY_LEFT }, { "ArrowRight", KEY_RIGHT }, { "ArrowUp", KEY_UP },
	{ "ArrowDown", KEY_DOWN },
	{ "ShiftLeft", KEY_LEFTSHIFT }, { "ShiftRight", KEY_RIGHTSHIFT },
	{ "ControlLeft", KEY_LEFTCTRL }, { "ControlRight", KEY_RIGHTCTRL },
	{ "AltLeft", KEY_LEFTALT }, { "AltRight", KEY_RIGHTALT },
	{ "MetaLeft", KEY_LEFTMETA }, { "MetaRight", KEY_RIGHTMETA },
	{ "ContextMenu", KEY_COMPOSE }, { "CapsLock", KEY_CAPSLOCK },
	{ "NumLock", KEY_NUMLOCK }, { "ScrollLock", KEY_SCROLLLOCK },
	{ "PrintScreen", KEY_SYSRQ }, { "Pause", KEY_PAUSE },
	{ "Minus", KEY_MINUS }, { "Equal", KEY_EQUAL }, { "BracketLeft", KEY_LEFTBRACE },
	{ "BracketRight", KEY_RIGHTBRACE }, { "Backslash", KEY_BACKSLASH },
	{ "Semicolon", KEY_SEMICOLON }, { "Quote", KEY_APOSTROPHE }, { "Backquote", KEY_GRAVE },
	{ "Comma", KEY_COMMA }, { "Period", KEY_DOT }, { "Slash", KEY_SLASH },
	{ "IntlBackslash", KEY_102ND },
	{ "Numpad0", KEY_KP0 }, { "Numpad1", KEY_KP1 }, { "Numpad2", KEY_KP2 },
	{ "Numpad3", KEY_KP3 }, { "Numpad4", KEY_KP4 }, { "Numpad5", KEY_KP5 },
	{ "Numpad6", KEY_KP6 }, { "Numpad7", KEY_KP7 }, { "Numpad8", KEY_KP8 },
	{ "Numpad9", KEY_KP9 }, { "NumpadDecimal", KEY_KPDOT }, { "NumpadAdd", KEY_KPPLUS },
	{ "NumpadSubtract", KEY_KPMINUS }, { "NumpadMultiply", KEY_KPASTERISK },
	{ "NumpadDivide", KEY_KPSLASH },
};

static const unsigned short letter_keys[26] = {
	KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L,
	KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X,
	KEY_Y, KEY_Z,
};

static const unsigned short digit_keys[10] = {
	KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
};

static const unsigned short fkeys[12] = {
	KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10,
	KEY_F11, KEY_F12,
};

unsigned int streamd_input_key_code(const char *code)
{
	if (!code)
		return 0;
	if (g_str_has_prefix(code, "Key") && code[3] >= 'A' && code[3] <= 'Z' && !code[4])
		return letter_keys[code[3] - 'A'];
	if (g_str_has_prefix(code, "Digit") && g_ascii_isdigit(code[5]) && !code[6])
		return digit_keys[code[5] - '0'];
	if (code[0] == 'F' && g_ascii_isdigit(code[1])) {
		char *end;
		guint64 n = g_ascii_strtoull(code + 1, &end, 10);

		if (!*end && code[1] != '0' && n >= 1 && n <= 12)
			return fkeys[n - 1];
	}
	for (gsize i = 0; i < G_N_ELEMENTS(key_codes); i++)
		if (!strcmp(key_codes[i].code, code))
			return key_codes[i].key;
	return 0;
}

bool streamd_input_policy(bool input, char *const *users, const char *user)
{
	if (!input)
		return false;
	if (!users)
		return true;
	return user && g_strv_contains((const char *const *)users, user);
}

#define BAD(...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__)

/* Member @name of @o as a whole number in [min, max]. */
static bool get_int(JsonObject *o, const char *type, const char *name, gint64 min, gint64 max,
		    gint64 *ret, GError **error)
{
	JsonNode *n = json_object_get_member(o, name);
	double d;

	if (!n) {
		BAD("input message of type \"%s\": no \"%s\"", type, name);
		return false;
	}
	if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    (json_node_get_value_type(n) != G_TYPE_INT64 && json_node_get_value_type(n) != G_TYPE_DOUBLE)) {
		BAD("input message of type \"%s\": \"%s\" is not a number", type, name);
		return false;
	}
	d = json_node_get_value_type(n) == G_TYPE_INT64 ? (double)json_node_get_int(n)
							: json_node_get_double(n);
	if (d != (double)(gint64)d) {
		BAD("input message of type \"%s\": \"%s\" is %g, not a whole number", type, name, d);
		return false;
	}
	if (d < (double)min || d > (double)max) {
		BAD("input message of type \"%s\": \"%s\" is %g, outside %" G_GINT64_FORMAT
		    " to %" G_GINT64_FORMAT, type, name, d, min, max);
		return false;
	}
	*ret = (gint64)d;
	return true;
}

static bool get_bool(JsonObject *o, const char *type, const char *name, bool *ret, GError **error)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n) {
		BAD("input message of type \"%s\": no \"%s\"", type, name);
		return false;
	}
	if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		BAD("input message of type \"%s\": \"%s\" is not true or false", type, name);
		return false;
	}
	*ret = json_node_get_boolean(n);
	return true;
}

/* Members beyond @known are refused, so a typo is not silently ignored. */
static bool only_members(JsonObject *o, const char *type, const char *const *known, GError **error)
{
	g_autoptr(GList) members = json_object_get_members(o);

	for (GList *l = members; l; l = l->next)
		if (!g_strv_contains(known, l->data)) {
			g_autofree char *list = g_strjoinv(", ", (char **)known);

			BAD("input message of type \"%s\": unknown member \"%s\" (known: %s)",
			    type, (const char *)l->data, list);
			return false;
		}
	return true;
}

GstStructure *streamd_input_parse(const char *message, GError **error)
{
	static const char *const key_m[] = { "type", "code", "down", NULL };
	static const char *const move_m[] = { "type", "x", "y", NULL };
	static const char *const button_m[] = { "type", "button", "down", NULL };
	static const char *const wheel_m[] = { "type", "steps", NULL };
	static const unsigned int buttons[] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) e = NULL;
	JsonNode *root, *tn;
	JsonObject *o;
	const char *type;
	gint64 a, b;
	bool down;

	if (!message || !*message) {
		BAD("input message is empty");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, message, -1, &e)) {
		BAD("input message is not JSON: %s", e->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (!root || JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
		BAD("input message is not a JSON object");
		return NULL;
	}
	o = json_node_get_object(root);
	tn = json_object_get_member(o, "type");
	if (!tn || JSON_NODE_TYPE(tn) != JSON_NODE_VALUE || json_node_get_value_type(tn) != G_TYPE_STRING) {
		BAD("input message has no \"type\" string (key, move, button or wheel)");
		return NULL;
	}
	type = json_node_get_string(tn);
	if (!strcmp(type, "key")) {
		JsonNode *cn = json_object_get_member(o, "code");
		const char *code;
		unsigned int key;

		if (!only_members(o, type, key_m, error))
			return NULL;
		if (!cn || JSON_NODE_TYPE(cn) != JSON_NODE_VALUE ||
		    json_node_get_value_type(cn) != G_TYPE_STRING) {
			BAD("input message of type \"key\": no \"code\" string (KeyboardEvent.code)");
			return NULL;
		}
		code = json_node_get_string(cn);
		key = streamd_input_key_code(code);
		if (!key) {
			BAD("input message of type \"key\": unknown key code \"%s\"", code);
			return NULL;
		}
		if (!get_bool(o, type, "down", &down, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "key", G_TYPE_UINT, key,
					 "pressed", G_TYPE_BOOLEAN, (gboolean)down, NULL);
	}
	if (!strcmp(type, "move")) {
		if (!only_members(o, type, move_m, error) ||
		    !get_int(o, type, "x", 0, 32767, &a, error) ||
		    !get_int(o, type, "y", 0, 32767, &b, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "x", G_TYPE_UINT, (guint)a,
					 "y", G_TYPE_UINT, (guint)b, NULL);
	}
	if (!strcmp(type, "button")) {
		if (!only_members(o, type, button_m, error) ||
		    !get_int(o, type, "button", 0, 2, &a, error) ||
		    !get_bool(o, type, "down", &down, error))
			return NULL;
		return gst_structure_new("gvtdmabuf-input", "button", G_TYPE_UINT, buttons[a],
					 "pressed", G_TYPE_BOOLEAN, (gboolean)down, NULL);
	}
	if (!strcmp(type, "wheel")) {
		if (!only_members(o, type, wheel_m, error) ||
		    !get_int(o, type, "steps", -120, 120, &a, error))
			return NULL;
		if (a == 0) {
			BAD("input message of type \"wheel\": \"steps\" is 0");
			return NULL;
		}
		return gst_structure_new("gvtdmabuf-input", "wheel", G_TYPE_INT, (gint)a, NULL);
	}
	BAD("input message of unknown type \"%s\" (key, move, button or wheel)", type);
	return NULL;
}

bool streamd_input_allowed(struct streamd_vgpu *v, const char *user)
{
	char *const *users;
	bool input = streamd_vgpu_input_policy(v, &users);

	return streamd_input_policy(input, users, user);
}

bool streamd_input_message(struct streamd_vgpu *v, const char *user,
			   const char *message, GError **error)
{
	GstStructure *s;

	if (!streamd_input_allowed(v, user)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "input is off for vGPU %s%s%s (view only)", streamd_vgpu_device(v),
			    user ? " and user " : "", user ? user : "");
		return false;
	}
	s = streamd_input_parse(message, error);
	if (!s)
		return false;
	if (!streamd_vgpu_send_input(v, s)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "vGPU %s did not take the input (no VM display open, or the VM refused it)",
			    streamd_vgpu_device(v));
		return false;
	}
	return true;
}
