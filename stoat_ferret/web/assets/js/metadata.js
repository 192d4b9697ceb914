// A video's technical fields, grouped as an editor reads them: timecode, frame rate,
// picture, colour, audio (a group per audio stream), container, the library's own
// record, then every stream. Pure: no DOM, no network.
//
// The fields are read exactly as GET /api/v1/videos/{id} gives them: the video's own
// fields, and its `technical` part ({container, streams}; see docs/api.md, "Technical
// metadata"). A field the file does not state is null there and is left out here; a
// group with no field left is not shown. A video stored by a version that did not keep
// `technical` (it is null until the next scan probes the file again) shows what the
// video's own fields hold.

import * as format from "./format.js";

function present(value) {
  return value !== null && value !== undefined && value !== "";
}

/** A "numerator/denominator" fraction as [numerator, denominator], or null. */
export function fraction(value) {
  if (typeof value !== "string") return null;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (match === null) return null;
  const [num, den] = [Number(match[1]), Number(match[2])];
  return num > 0 && den > 0 ? [num, den] : null;
}

/** "29.97 fps (30000/1001)", or "25 fps" for a whole rate. */
export function rateText(value) {
  const parts = fraction(value);
  if (parts === null) return undefined;
  const [num, den] = parts;
  const decimal = `${format.frameRate(num, den)} fps`;
  return num % den === 0 ? decimal : `${decimal} (${num}/${den})`;
}

/** An aspect ratio as editors write it: "16/9" -> "16:9". */
function aspect(value) {
  const parts = fraction(value);
  return parts === null ? undefined : `${parts[0]}:${parts[1]}`;
}

function yesNo(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  return undefined;
}

function row(label, value, title) {
  return present(value) ? { label, value: String(value), title: title ?? null } : null;
}

function group(id, title, rows) {
  const kept = rows.filter((item) => item !== null);
  return kept.length > 0 ? { id, title, rows: kept } : null;
}

/** Bits per second for people: 7.4 Mb/s, 128 kb/s. */
export function bitRate(bits) {
  if (!Number.isFinite(bits) || bits <= 0) return undefined;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mb/s`;
  return `${Math.round(bits / 1e3)} kb/s`;
}

/** Hertz for people: 48 kHz, 44.1 kHz. */
function sampleRate(hz) {
  return Number.isFinite(hz) && hz > 0 ? `${Number((hz / 1000).toFixed(3))} kHz` : undefined;
}

function seconds(value) {
  return Number.isFinite(value) ? `${value.toFixed(3)} s` : undefined;
}

function bits(value) {
  return Number.isInteger(value) ? `${value} bit` : undefined;
}

/** How the picture is scanned: progressive, or interlaced with the field shown first. */
export function scanText(fieldOrder) {
  if (fieldOrder === "progressive") return "progressive";
  if (fieldOrder === "tff") return "interlaced, top field first";
  if (fieldOrder === "bff") return "interlaced, bottom field first";
  return undefined;
}

/** Whether a timecode is drop-frame: it has ";" before the frames. */
export function isDropFrame(timecode) {
  return typeof timecode === "string" && timecode.includes(";");
}

/** The codec and its profile: "h264, High 10". */
function codecText(stream) {
  return [stream.codec, stream.profile].filter(present).join(", ");
}

/** The main picture: the first video stream that is not a cover picture. */
function mainVideo(streams) {
  return streams.find((stream) => stream.kind === "video" && !stream.attached_picture) ?? null;
}

/** The video's own fields in the shape of a video stream, for a video without `technical`. */
function videoFromSummary(video) {
  const num = video.frame_rate_numerator;
  const den = video.frame_rate_denominator;
  return {
    codec: video.video_codec,
    width: video.width,
    height: video.height,
    display_width: video.display_width,
    display_height: video.display_height,
    rotation: video.rotation,
    pixel_format: video.pixel_format,
    bit_depth: video.bit_depth,
    field_order: video.field_order,
    hdr_format: video.hdr_format,
    variable_frame_rate: video.variable_frame_rate,
    r_frame_rate: num > 0 && den > 0 ? `${num}/${den}` : null,
  };
}

function audioFromSummary(video) {
  if (!present(video.audio_codec)) return [];
  return [
    {
      codec: video.audio_codec,
      channels: video.audio_channels,
      channel_layout: video.audio_layout,
      sample_rate: video.audio_sample_rate,
    },
  ];
}

function timecodeGroup(video, container) {
  const start = container.start_timecode ?? video.start_timecode;
  const frames = video.duration_frames;
  const num = video.frame_rate_numerator;
  const den = video.frame_rate_denominator;
  return group("timecode", "Timecode", [
    row("In", start),
    row("Out", video.end_timecode),
    row("Counting", present(start) ? (isDropFrame(start) ? "drop-frame" : "non-drop-frame") : undefined),
    row(
      "Duration",
      Number.isInteger(frames) ? format.timecode(frames, num, den) : undefined,
      Number.isInteger(frames) ? `${frames} frames, counted at ${format.nominalRate(num, den)} fps` : null,
    ),
    row("Frames", frames),
    row("Seconds", seconds(video.duration_seconds)),
  ]);
}

function rateGroup(picture) {
  const nominal = rateText(picture.r_frame_rate);
  const average = rateText(picture.avg_frame_rate);
  return group("rate", "Frame rate", [
    row("Rate", nominal),
    row("Average rate", average !== nominal ? average : undefined),
    row("Variable frame rate", yesNo(picture.variable_frame_rate)),
    row("Scan", scanText(picture.field_order)),
  ]);
}

function pictureGroup(picture) {
  const sized = (width, height) =>
    Number.isInteger(width) && Number.isInteger(height) ? format.resolution(width, height) : undefined;
  return group("picture", "Picture", [
    row("Codec", codecText(picture)),
    row("Stored size", sized(picture.width, picture.height)),
    row("Display size", sized(picture.display_width, picture.display_height)),
    row("Sample aspect ratio", aspect(picture.sample_aspect_ratio)),
    row("Display aspect ratio", aspect(picture.display_aspect_ratio)),
    row("Rotation", Number.isInteger(picture.rotation) ? `${picture.rotation}°` : undefined),
    row("Pixel format", picture.pixel_format),
    row("Bit depth", bits(picture.bit_depth)),
    row("Chroma subsampling", picture.chroma_subsampling),
  ]);
}

function colourGroup(picture) {
  const tagged = ["color_range", "color_space", "color_primaries", "color_transfer", "hdr_format"].some(
    (name) => present(picture[name]),
  );
  if (!tagged) return null;
  return group("colour", "Colour", [
    row("HDR", picture.hdr_format ?? "no"),
    row("Range", picture.color_range),
    row("Space", picture.color_space),
    row("Primaries", picture.color_primaries),
    row("Transfer", picture.color_transfer),
  ]);
}

function audioGroups(audio) {
  if (audio.length === 0) return [group("audio", "Audio", [row("Audio", "none")])];
  return audio.map((stream, n) =>
    group(n === 0 ? "audio" : `audio-${n + 1}`, audio.length > 1 ? `Audio ${n + 1} of ${audio.length}` : "Audio", [
      row("Stream", Number.isInteger(stream.index) ? `#${stream.index}` : undefined),
      row("Codec", codecText(stream)),
      row("Layout", stream.channel_layout),
      row("Channels", stream.channels),
      row("Sample rate", sampleRate(stream.sample_rate)),
      row("Bit depth", bits(stream.bit_depth)),
      row("Sample format", stream.sample_format),
      row("Bit rate", bitRate(stream.bit_rate)),
      row("Language", stream.language),
      row("Title", stream.title),
    ]),
  );
}

function containerGroup(video, container) {
  const formatText = present(container.format_long_name)
    ? `${container.format_long_name} (${container.format_name ?? video.container})`
    : video.container;
  return group("container", "Container", [
    row("Format", formatText),
    row("Duration", seconds(container.duration_seconds)),
    row(
      "Size",
      Number.isFinite(video.file_size) ? format.bytes(video.file_size) : undefined,
      Number.isFinite(video.file_size) ? `${video.file_size.toLocaleString("en")} bytes` : null,
    ),
    row("Bit rate", bitRate(container.bit_rate ?? video.bit_rate)),
    row("Start time", seconds(container.start_time)),
    row("Created", format.localTime(container.creation_time ?? video.creation_time), container.creation_time ?? video.creation_time),
    row("Make", container.make),
    row("Model", container.model),
    row("Encoder", container.encoder),
  ]);
}

function libraryGroup(video) {
  return group("library", "In the library", [
    row("Added", format.localTime(video.created_at)),
    row("Updated", format.localTime(video.updated_at)),
    row("Probed", format.localTime(video.probed_at)),
    row("Missing since", video.missing ? format.localTime(video.missing_since) || "the latest scan" : undefined),
    row("Fingerprint", video.fingerprint),
    row("Id", video.id),
  ]);
}

/** The groups of facts for ``video``: [{id, title, rows: [{label, value, title}], streams?}]. */
export function describe(video) {
  const technical = video.technical ?? null;
  const streams = Array.isArray(technical?.streams) ? technical.streams : [];
  const container = technical?.container ?? {};
  const picture = (technical === null ? videoFromSummary(video) : mainVideo(streams)) ?? {};
  const audio = technical === null ? audioFromSummary(video) : streams.filter((stream) => stream.kind === "audio");

  const groups = [
    timecodeGroup(video, container),
    rateGroup(picture),
    pictureGroup(picture),
    colourGroup(picture),
    ...audioGroups(audio),
    containerGroup(video, container),
    libraryGroup(video),
  ].filter((item) => item !== null);

  if (streams.length > 0) {
    groups.push({ id: "streams", title: "Streams", rows: [], streams: streams.map(describeStream) });
  }
  return groups;
}

/** One stream in a line: {index, type, codec, details}. */
export function describeStream(stream) {
  const details = [];
  const add = (value) => {
    if (present(value)) details.push(String(value));
  };
  if (stream.kind === "video") {
    if (stream.attached_picture) add("cover picture");
    if (Number.isInteger(stream.width) && Number.isInteger(stream.height)) {
      add(format.resolution(stream.width, stream.height));
    }
    add(rateText(stream.r_frame_rate));
    add(stream.pixel_format);
    add(scanText(stream.field_order));
    add(stream.hdr_format);
  } else if (stream.kind === "audio") {
    add(stream.channel_layout ?? (Number.isInteger(stream.channels) ? format.count(stream.channels, "channel") : null));
    add(sampleRate(stream.sample_rate));
    add(bits(stream.bit_depth));
  } else {
    add(stream.codec_tag);
    if (present(stream.timecode)) add(`timecode ${stream.timecode}`);
  }
  add(stream.language);
  add(stream.title);
  return {
    index: stream.index,
    type: stream.kind,
    codec: codecText(stream) || "—",
    details: details.join(" · "),
  };
}
