/* SPDX-License-Identifier: MIT */
/*
 * A PipeWire consumer that checks the metadata gvt-streamd puts on its
 * buffers against the guest model: Header (sequence grows), VideoDamage,
 * and Cursor (position of the frame the block code names, bitmap equal to
 * the model's cursor image).  pipewiresrc does not hand these metas on,
 * so this is written with pw_stream.
 *
 * Usage: pw-meta-check TARGET-SERIAL WIDTH HEIGHT FRAMES
 *
 * Exit 0: every check passed and cursors were seen; 3: Header and damage
 * passed but no buffer carried a cursor (id 0 throughout); 1: a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>

#include "guest-model.h"

struct check {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	struct spa_hook listener;
	struct gvtsim_guest_config cfg;
	uint32_t w, h;
	int want, frames, bad, bitmaps, positions, damage, no_cursor;
	uint64_t last_seq;
	bool have_seq;
};

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct check *c = data;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[3];

	if (id != SPA_PARAM_Format || !param)
		return;
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(sizeof(struct spa_meta_region) * 16,
			sizeof(struct spa_meta_region), sizeof(struct spa_meta_region) * 16));
	params[2] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
			sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 256 * 256 * 4,
			sizeof(struct spa_meta_cursor),
			sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 256 * 256 * 4));
	pw_stream_update_params(c->stream, params, 3);
}

static void check_buffer(struct check *c, struct spa_buffer *sb)
{
	struct spa_data *d = &sb->datas[0];
	struct spa_meta_header *h = spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(*h));
	struct spa_meta_cursor *cur = spa_buffer_find_meta_data(sb, SPA_META_Cursor, sizeof(*cur));
	struct spa_meta *dm = spa_buffer_find_meta(sb, SPA_META_VideoDamage);
	uint64_t frame, t;
	int32_t ex, ey;

	if (!d->data || !d->chunk->size)
		return;
	if (gvtsim_guest_decode_blockcode(SPA_PTROFF(d->data, d->chunk->offset, uint32_t),
					  d->chunk->stride, c->w, c->h, &frame, &t) < 0) {
		printf("buffer %d: no block code\n", c->frames);
		c->bad++;
		return;
	}
	if (!h) {
		printf("frame %llu: no Header meta\n", (unsigned long long)frame);
		c->bad++;
	} else {
		if (c->have_seq && h->seq <= c->last_seq) {
			printf("frame %llu: header seq %llu after %llu\n", (unsigned long long)frame,
			       (unsigned long long)h->seq, (unsigned long long)c->last_seq);
			c->bad++;
		}
		c->last_seq = h->seq;
		c->have_seq = true;
	}
	if (dm && dm->size >= sizeof(struct spa_meta_region)) {
		struct spa_meta_region *r = dm->data;

		if (r->region.size.width && r->region.size.height)
			c->damage++;
	}
	if (!cur) {
		printf("frame %llu: no cursor meta on the buffer\n", (unsigned long long)frame);
		c->bad++;
		return;
	}
	if (cur->id == 0) {
		c->no_cursor++;
		return;
	}
	gvtsim_guest_expected_cursor_pos(&c->cfg, frame, &ex, &ey);
	if (cur->position.x - cur->hotspot.x != ex || cur->position.y - cur->hotspot.y != ey) {
		printf("frame %llu: cursor at (%d,%d) hotspot (%d,%d), the model has its top-left at (%d,%d)\n",
		       (unsigned long long)frame, cur->position.x, cur->position.y, cur->hotspot.x,
		       cur->hotspot.y, ex, ey);
		c->bad++;
	} else {
		c->positions++;
	}
	if (cur->bitmap_offset) {
		struct spa_meta_bitmap *bm = SPA_PTROFF(cur, cur->bitmap_offset, struct spa_meta_bitmap);
		int mism = 0;

		if (bm->format != SPA_VIDEO_FORMAT_BGRA || bm->size.width != c->cfg.cursor_size ||
		    bm->size.height != c->cfg.cursor_size) {
			printf("cursor bitmap format %u %ux%u, expected BGRA %ux%u\n", bm->format,
			       bm->size.width, bm->size.height, c->cfg.cursor_size, c->cfg.cursor_size);
			c->bad++;
			return;
		}
		for (uint32_t y = 0; y < bm->size.height; y++)
			for (uint32_t x = 0; x < bm->size.width; x++) {
				uint32_t got = *SPA_PTROFF(bm, bm->offset + y * bm->stride + x * 4, uint32_t);
				uint32_t want = gvtsim_guest_expected_cursor_pixel(&c->cfg, x, y);

				/* colour is undefined where alpha is 0 */
				if ((got >> 24) != (want >> 24) || ((want >> 24) && got != want))
					mism++;
			}
		if (mism) {
			printf("cursor bitmap: %d pixels differ from the model\n", mism);
			c->bad++;
		} else {
			c->bitmaps++;
		}
	}
}

static void on_process(void *data)
{
	struct check *c = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(c->stream);

	if (!b)
		return;
	check_buffer(c, b->buffer);
	pw_stream_queue_buffer(c->stream, b);
	if (++c->frames >= c->want)
		pw_main_loop_quit(c->loop);
}

static const struct pw_stream_events events = {
	PW_VERSION_STREAM_EVENTS,
	.param_changed = on_param_changed,
	.process = on_process,
};

int main(int argc, char **argv)
{
	struct check c = { 0 };
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];

	if (argc != 5) {
		fprintf(stderr, "usage: pw-meta-check TARGET-SERIAL WIDTH HEIGHT FRAMES\n");
		return 2;
	}
	pw_init(&argc, &argv);
	c.w = atoi(argv[2]);
	c.h = atoi(argv[3]);
	c.want = atoi(argv[4]);
	gvtsim_guest_config_default(&c.cfg);
	c.cfg.width = c.w;
	c.cfg.height = c.h;
	c.loop = pw_main_loop_new(NULL);
	c.stream = pw_stream_new_simple(pw_main_loop_get_loop(c.loop), "gvt-meta-check",
		pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
				  PW_KEY_MEDIA_ROLE, "Camera", PW_KEY_TARGET_OBJECT, argv[1], NULL),
		&events, &c);
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(SPA_VIDEO_FORMAT_BGRx),
		SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(c.w, c.h),
			&SPA_RECTANGLE(1, 1), &SPA_RECTANGLE(8192, 8192)),
		SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(0, 1),
			&SPA_FRACTION(0, 1), &SPA_FRACTION(1000, 1)));
	if (pw_stream_connect(c.stream, PW_DIRECTION_INPUT, PW_ID_ANY,
			      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 1) < 0) {
		fprintf(stderr, "pw-meta-check: cannot connect\n");
		return 1;
	}
	pw_main_loop_run(c.loop);
	pw_stream_destroy(c.stream);
	pw_main_loop_destroy(c.loop);
	printf("%d buffers: %d cursor positions and %d cursor bitmaps equal to the model, "
	       "%d without a cursor, %d with damage, %d bad\n",
	       c.frames, c.positions, c.bitmaps, c.no_cursor, c.damage, c.bad);
	pw_deinit();
	if (c.frames < c.want || c.bad || c.damage != c.frames)
		return 1;
	if (c.no_cursor == c.frames)
		return 3;
	/* The guest's cursor is always on screen: every frame has one. */
	return c.no_cursor == 0 && c.bitmaps > 0 ? 0 : 1;
}
