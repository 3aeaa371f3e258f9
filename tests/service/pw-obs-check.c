/* SPDX-License-Identifier: MIT */
/*
 * The requests of OBS Studio's "Video Capture Device (PipeWire)" source
 * (OBS 30.1 to 31: plugins/linux-pipewire, camera-portal.c and pipewire.c),
 * made with pw_stream the way that source makes them, so that a node that
 * serves this program serves OBS.  Facts taken from OBS 30.2.3 (Debian 13's
 * version), written here anew:
 *
 * - the stream: media.type Video, media.category Capture, media.role
 *   Camera; pw_stream_connect(INPUT, NODE-ID, AUTOCONNECT | MAP_BUFFERS)
 *   with the node's global id (what the camera portal's registry shows);
 * - EnumFormat, the camera being an asynchronous source (no GPU import,
 *   so no modifier and no dma-buf): one object per format, RGBA then YUY2,
 *   each video/raw with size a range (default the OBS canvas, 1x1 to
 *   8192x4320) and framerate a range (default the canvas rate, 0/1 to
 *   360/1); a resolution or framerate chosen in the source's settings
 *   would fix them (not done here: the node offers one of each);
 * - on Format: Meta VideoCrop, Meta Cursor (64x64, 1x1 to 1024x1024),
 *   Buffers with dataType MemPtr only, Meta Header and Meta VideoTransform;
 * - per process: the newest buffer (older ones given back), skipped when
 *   chunk size is 0; the frame is read from datas[0].data with the line
 *   size round_up(width x bytes per pixel, 4): the chunk's offset and
 *   stride are NOT read, so a node that pads lines or offsets its data
 *   gives OBS a sheared picture.  This program reads the frame the same
 *   way and writes it as OBS would see it.
 *
 * Usage: pw-obs-check NODE-ID FRAMES OUT-FILE
 *
 * Prints the negotiated format ("format RGBA 320x240 framerate 0/1
 * buffers MemPtr"), writes FRAMES frames (distinct buffers with data) to
 * OUT-FILE, exit 0; 1 when negotiation or a buffer breaks OBS's rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>

struct obs {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	struct spa_hook listener;
	struct spa_video_info_raw info;
	bool negotiated;
	int want, frames, bad;
	FILE *out;
};

static const char *format_name(uint32_t f)
{
	return f == SPA_VIDEO_FORMAT_RGBA ? "RGBA" : f == SPA_VIDEO_FORMAT_YUY2 ? "YUY2" : "other";
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct obs *o = data;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[5];
	uint32_t mtype, msub;
	int n = 0;

	if (id != SPA_PARAM_Format || !param)
		return;
	if (spa_format_parse(param, &mtype, &msub) < 0 || mtype != SPA_MEDIA_TYPE_video ||
	    msub != SPA_MEDIA_SUBTYPE_raw) {
		printf("negotiated a format that is not video/raw\n");
		o->bad++;
		return;
	}
	spa_format_video_raw_parse(param, &o->info);
	if (spa_pod_find_prop(param, NULL, SPA_FORMAT_VIDEO_modifier)) {
		printf("the format carries a modifier: OBS's camera source offered none\n");
		o->bad++;
	}
	printf("format %s %ux%u framerate %u/%u\n", format_name(o->info.format),
	       o->info.size.width, o->info.size.height, o->info.framerate.num,
	       o->info.framerate.denom);
	params[n++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoCrop),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_region)));
	params[n++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(
			sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 64 * 64 * 4,
			sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 1 * 1 * 4,
			sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + 1024 * 1024 * 4));
	params[n++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_dataType, SPA_POD_Int(1 << SPA_DATA_MemPtr));
	params[n++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	params[n++] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoTransform),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_videotransform)));
	pw_stream_update_params(o->stream, params, n);
	o->negotiated = true;
}

static void on_process(void *data)
{
	struct obs *o = data;
	struct pw_buffer *b = NULL, *aux;
	struct spa_data *d;
	uint32_t bpp, line, size;

	/* the newest buffer; older ones go back at once */
	while ((aux = pw_stream_dequeue_buffer(o->stream))) {
		if (b)
			pw_stream_queue_buffer(o->stream, b);
		b = aux;
	}
	if (!b)
		return;
	d = &b->buffer->datas[0];
	if (!d->chunk->size || o->frames >= o->want)
		goto done;
	if (d->type != SPA_DATA_MemPtr && d->type != SPA_DATA_MemFd) {
		printf("buffer of data type %u: OBS asked for MemPtr\n", d->type);
		o->bad++;
		goto done;
	}
	if (!d->data) {
		printf("buffer not mapped (datas[0].data NULL): OBS reports \"Failed to access data\"\n");
		o->bad++;
		goto done;
	}
	bpp = o->info.format == SPA_VIDEO_FORMAT_YUY2 ? 2 : 4;
	line = SPA_ROUND_UP_N(o->info.size.width * bpp, 4);
	size = line * o->info.size.height;
	if (d->chunk->offset != 0 || (uint32_t)d->chunk->stride != line || d->maxsize < size) {
		printf("buffer: chunk offset %u stride %d maxsize %u; OBS reads offset 0, line size %u, "
		       "%u bytes\n", d->chunk->offset, d->chunk->stride, d->maxsize, line, size);
		o->bad++;
		goto done;
	}
	if (fwrite(d->data, 1, size, o->out) != size) {
		perror("pw-obs-check: write");
		o->bad++;
	}
	o->frames++;
done:
	pw_stream_queue_buffer(o->stream, b);
	if (o->frames >= o->want || o->bad)
		pw_main_loop_quit(o->loop);
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct obs *o = data;

	(void)old;
	if (state == PW_STREAM_STATE_ERROR) {
		printf("stream error: %s\n", error ? error : "(none)");
		o->bad++;
		pw_main_loop_quit(o->loop);
	}
}

static const struct pw_stream_events events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

/* One EnumFormat object as OBS builds it for a format without modifiers. */
/* (No resolution or framerate chosen in the source's settings: ranges.) */
static const struct spa_pod *obs_format(struct spa_pod_builder *b, uint32_t format)
{
	struct spa_rectangle def = SPA_RECTANGLE(1920, 1080);	/* OBS's default canvas */
	struct spa_fraction rate = SPA_FRACTION(30, 1);		/* and its frame rate */
	struct spa_fraction min = SPA_FRACTION(0, 1);
	struct spa_fraction max = SPA_FRACTION(360, 1);

	return spa_pod_builder_add_object(b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(format),
		SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&def, &SPA_RECTANGLE(1, 1),
								      &SPA_RECTANGLE(8192, 4320)),
		SPA_FORMAT_VIDEO_framerate, SPA_POD_CHOICE_RANGE_Fraction(&rate, &min, &max));
}

int main(int argc, char **argv)
{
	struct obs o = { 0 };
	uint8_t buf[2048];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[2];
	char *end;
	unsigned long node;

	if (argc != 4) {
		fprintf(stderr, "usage: pw-obs-check NODE-ID FRAMES OUT-FILE\n");
		return 2;
	}
	node = strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "pw-obs-check: node id '%s' is not a number\n", argv[1]);
		return 2;
	}
	o.want = atoi(argv[2]);
	if (o.want <= 0) {
		fprintf(stderr, "pw-obs-check: frame count '%s' is not a positive number\n", argv[2]);
		return 2;
	}
	o.out = fopen(argv[3], "wb");
	if (!o.out) {
		perror(argv[3]);
		return 2;
	}
	pw_init(&argc, &argv);
	o.loop = pw_main_loop_new(NULL);
	o.stream = pw_stream_new_simple(pw_main_loop_get_loop(o.loop), "OBS PipeWire Camera",
		pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
				  PW_KEY_MEDIA_ROLE, "Camera", NULL),
		&events, &o);
	params[0] = obs_format(&b, SPA_VIDEO_FORMAT_RGBA);
	params[1] = obs_format(&b, SPA_VIDEO_FORMAT_YUY2);
	if (pw_stream_connect(o.stream, PW_DIRECTION_INPUT, (uint32_t)node,
			      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 2) < 0) {
		fprintf(stderr, "pw-obs-check: cannot connect to node %lu\n", node);
		return 1;
	}
	pw_main_loop_run(o.loop);
	pw_stream_destroy(o.stream);
	pw_main_loop_destroy(o.loop);
	pw_deinit();
	fclose(o.out);
	printf("%d frames as OBS reads them, %d bad\n", o.frames, o.bad);
	return o.frames >= o.want && !o.bad && o.negotiated ? 0 : 1;
}
