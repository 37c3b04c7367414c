import type { EmbeddingInput, ImageInput } from "./encoding.js";
import { FaceServiceError, type ErrorDetails, type WithMetadata } from "./errors.js";
import { FaceClientBase, type CallOptions, type FaceClientConfig } from "./transport.js";
/** The served pack's measured score curve (function/models/calibrations/), or `measured: false` and why. */
export interface CalibrationInfo {
    /** [far, threshold] pairs, far descending: the lowest threshold whose FAR is at most far (fitted half); /search reads the threshold at far = fpir / entries here (docs/pgvector.md does the same in SQL) */
    curve?: number[][];
    /** per-pair FAR of the default threshold (SIMILARITY_THRESHOLD) over every impostor pair of the set */
    default_threshold_far?: number | null;
    default_threshold_tar?: number | null;
    measured: boolean;
    /** the lowest FAR the calibration supports (?far= below: 422 BEYOND_CALIBRATION; /search: the largest gallery is search_fpir / min_far) */
    min_far?: number | null;
    /** named in /search answers and with ?far= */
    name?: string | null;
    operating_points?: OperatingPointInfo[];
    /** /search's default target FPIR (SEARCH_FPIR) */
    search_fpir: number;
    /** data set, command, date and machine of the measurement; or why there is none */
    source: string;
}
export interface CompareResponse {
    /** with ?far= only: the calibration the threshold comes from (GET /health describes it) */
    calibration?: string | null;
    /** 50 x (1 + similarity), the original service's scale: 0.95 -> 97.5 */
    confidence: number;
    face1: FaceBox;
    face2: FaceBox;
    /** with ?far= only: the per-pair false-accept rate the threshold holds, from the pack's calibration (on its grid: at most the FAR asked for) */
    far?: number | null;
    /** similarity >= threshold */
    same_person: boolean;
    /** cosine similarity of the two embeddings, -1..1 */
    similarity: number;
    success?: true;
    /** the decision threshold used (SIMILARITY_THRESHOLD, or the calibrated threshold for ?far=) */
    threshold: number;
}
export interface DetectResponse {
    /** highest detection score (0 when no face) */
    confidence: number;
    detected: boolean;
    face_count: number;
    faces?: FaceBox[];
    /** present (true) only when more faces were found than one answer carries (MAX_FACES, MAX_ANSWER_BYTES): `faces` then holds the largest ones and `face_count` all that were found */
    faces_truncated?: boolean | null;
    image_height: number;
    image_width: number;
    message: string;
}
export interface ErrorResponse {
    /** machine code, e.g. INVALID_IMAGE, NO_FACE, MULTIPLE_FACES */
    code: "DUPLICATE_FIELD" | "IMAGE_TOO_SMALL" | "INVALID_EMBEDDING" | "INVALID_GALLERY" | "INVALID_IMAGE" | "INVALID_REQUEST" | "UNAUTHORIZED" | "S3_ACCESS_DENIED" | "S3_BUCKET_NOT_ALLOWED" | "NOT_FOUND" | "S3_OBJECT_NOT_FOUND" | "METHOD_NOT_ALLOWED" | "REQUEST_TIMEOUT" | "GALLERY_TOO_LARGE" | "IMAGE_TOO_LARGE" | "PAYLOAD_TOO_LARGE" | "S3_OBJECT_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "BEYOND_CALIBRATION" | "FACE_QUALITY" | "MISSING_FIELD" | "MULTIPLE_FACES" | "NO_FACE" | "CLIENT_CLOSED_REQUEST" | "INTERNAL_ERROR" | "S3_UNAVAILABLE" | "DEADLINE_EXCEEDED" | "MODEL_NOT_READY";
    /** a sentence a person understands */
    error: string;
    /** the request field the error is about, where there is one */
    field?: string | null;
    /** FACE_QUALITY only: why the face was refused */
    reasons?: ("face_too_small" | "too_blurry" | "too_dark" | "too_bright" | "yaw_too_large" | "pitch_too_large" | "roll_too_large" | "orientation_uncertain")[] | null;
    success?: false;
}
export interface ExtractResponse {
    /** [x1, y1, x2, y2] of the face embedded, original image pixels */
    box: number[];
    /** detection score of the face embedded */
    confidence: number;
    /** 512 floats, L2-normalised: a dot product of two is their cosine similarity */
    embedding: Float32Array;
    embedding_size: number;
    /** with ?all=true: the number of faces found */
    face_count?: number | null;
    /** every face with its embedding (only with ?all=true) */
    faces?: FaceEmbedding[] | null;
    /** with ?all=true: true when more faces were found than one answer carries (MAX_FACES, MAX_ANSWER_BYTES); `faces` then holds the largest ones */
    faces_truncated?: boolean | null;
    landmarks: number[][];
    /** of the face embedded: the turn, in degrees clockwise, applied to the image as sent (EXIF orientation applied) to read this face upright: 0 = as sent, 90 = the image's top had gone to the left, 180 = upside down, 270 = the top had gone to the right. box and landmarks stay in the image as sent; pose is read in the turned (upright) copy */
    orientation?: 0 | 90 | 180 | 270;
    /** pose of the face embedded */
    pose?: Pose | null;
    /** quality of the face embedded */
    quality?: FaceQuality | null;
    success?: true;
}
export interface FaceBox {
    /** [x1, y1, x2, y2] in original image pixels (the orientation the user sees) */
    box: number[];
    /** five [x, y] points: left eye, right eye, nose, mouth left, mouth right */
    landmarks: number[][];
    /** the turn, in degrees clockwise, applied to the image as sent (EXIF orientation applied) to read this face upright: 0 = as sent, 90 = the image's top had gone to the left, 180 = upside down, 270 = the top had gone to the right. box and landmarks stay in the image as sent; pose is read in the turned (upright) copy */
    orientation?: 0 | 90 | 180 | 270;
    /** yaw, pitch, roll in degrees */
    pose?: Pose | null;
    /** size, sharpness, brightness and the usable verdict */
    quality?: FaceQuality | null;
    /** detection score, 0..1 */
    score: number;
}
export interface FaceEmbedding {
    /** [x1, y1, x2, y2] in original image pixels (the orientation the user sees) */
    box: number[];
    /** 512 floats, L2-normalised */
    embedding: Float32Array;
    /** five [x, y] points: left eye, right eye, nose, mouth left, mouth right */
    landmarks: number[][];
    /** the turn, in degrees clockwise, applied to the image as sent (EXIF orientation applied) to read this face upright: 0 = as sent, 90 = the image's top had gone to the left, 180 = upside down, 270 = the top had gone to the right. box and landmarks stay in the image as sent; pose is read in the turned (upright) copy */
    orientation?: 0 | 90 | 180 | 270;
    /** yaw, pitch, roll in degrees */
    pose?: Pose | null;
    /** size, sharpness, brightness and the usable verdict */
    quality?: FaceQuality | null;
    /** detection score, 0..1 */
    score: number;
}
/** Measures of one face and the verdict of the quality thresholds (QUALITY_* settings, docs/quality.md). */
export interface FaceQuality {
    /** mean grey level 0..255 over the same region */
    brightness: number;
    /** the face box's shorter side, in pixels of the image as sent */
    face_size: number;
    /** why the face is not usable (empty when it is) */
    reasons?: ("face_too_small" | "too_blurry" | "too_dark" | "too_bright" | "yaw_too_large" | "pitch_too_large" | "roll_too_large" | "orientation_uncertain")[];
    /** variance of the Laplacian over the aligned 112x112 face crop's inner region (higher = sharper) */
    sharpness: number;
    /** every measure and the pose within the thresholds */
    usable: boolean;
}
export interface HealthResponse {
    /** what the thresholds mean in false accepts, measured for the served pack and precision, or why not */
    calibration?: CalibrationInfo | null;
    error?: string | null;
    model: string;
    model_loaded: boolean;
    models?: ModelInfo[];
    providers?: string[];
    similarity_threshold?: number | null;
    /** where similarity_threshold comes from */
    similarity_threshold_source?: ThresholdSource | null;
    status: "healthy" | "unhealthy";
    threads?: number;
    version: string;
}
/** GET /health's answer to a caller without a valid x-api-key while API_KEY is set: up or down only. */
export interface HealthStatus {
    status: "healthy" | "unhealthy";
}
export interface ModelInfo {
    bytes: number;
    file: string;
    /** fp32, or int8 for a variant quantized locally (MODEL_PRECISION) */
    precision?: string;
    role: string;
    /** first 12 hex digits */
    sha256: string;
}
export interface OperatingPointInfo {
    /** target per-pair false-accept rate (?far=) */
    far: number;
    /** true-accept rate at that threshold on the other half */
    tar: number;
    /** cosine threshold fitted for it on half of the identities */
    threshold: number;
}
/**
 * Head pose in degrees, estimated from the five landmarks as read in the upright copy of the image (after the
 * face's `orientation` turn; docs/quality.md, docs/orientation.md).
 */
export interface Pose {
    /** up/down tilt; positive = face tilted up */
    pitch: number;
    /** in-plane tilt of the eye line; positive = clockwise as seen */
    roll: number;
    /** left/right turn; positive = face turned towards the image's right */
    yaw: number;
}
export interface SearchMatch {
    /** 50 x (1 + similarity) */
    confidence: number;
    /** the gallery entry's id */
    id: string;
    /** cosine similarity, -1..1; the best of the id's entries */
    similarity: number;
}
export interface SearchResponse {
    /** the calibration the threshold comes from (GET /health describes it); null when the pack has none */
    calibration: string | null;
    /** the face found in the photo */
    face: FaceBox;
    /** the false-positive identification rate the threshold holds: a person not in the gallery is matched at most this often (SEARCH_FPIR or ?fpir=); null when unknown (no calibration) */
    fpir: number | null;
    /** entries in the gallery sent */
    gallery_size: number;
    /** ids whose similarity >= threshold, best first, at most top_k; each id once */
    matches: SearchMatch[];
    /** the per-pair false-accept rate at the threshold, from the calibration (fpir >= gallery_size x pair_far); null when unknown */
    pair_far: number | null;
    success?: true;
    /** the decision threshold used: the calibrated threshold for FPIR / gallery_size, never below the 1:1 threshold (threshold_rule) */
    threshold: number;
    /** how the threshold was chosen: 'fpir' read off the pack's calibration at per-pair FAR = fpir / gallery_size; 'floor' the 1:1 threshold (SIMILARITY_THRESHOLD) was stricter; 'uncalibrated' the pack has no calibration: the 1:1 threshold, FPIR unknown */
    threshold_rule: "fpir" | "floor" | "uncalibrated";
    /** the most matches asked for */
    top_k: number;
}
/**
 * Where `similarity_threshold` comes from: the served pack's declaration for the served precision
 * (function/models/specs.py), measured or said to be unmeasured, or SIMILARITY_THRESHOLD set by the operator.
 */
export interface ThresholdSource {
    command?: string | null;
    dataset?: string | null;
    /** the pack's threshold's false-accept rate on that data set */
    far?: number | null;
    /** whether a measurement here chose the pack's threshold (then measured_on, command, dataset, far and tar describe it) */
    measured: boolean;
    /** date of the measurement, YYYY-MM-DD */
    measured_on?: string | null;
    /** `pack`: the pack's declared threshold; `setting`: SIMILARITY_THRESHOLD */
    origin: "pack" | "setting";
    /** the pack's declared threshold for `precision` (what similarity_threshold is unless SIMILARITY_THRESHOLD is set) */
    pack_threshold: number;
    /** the served precision the declared threshold is for */
    precision: string;
    /** one sentence: SIMILARITY_THRESHOLD when set, and the pack's measurement (date, command, data set, rule, what it gave) or why there is none */
    source: string;
    /** its true-accept rate there */
    tar?: number | null;
}
export interface VerifyResponse {
    /** with ?far= only: the calibration the threshold comes from (GET /health describes it) */
    calibration?: string | null;
    /** 50 x (1 + similarity), as /compare */
    confidence: number;
    /** the face found in the photo */
    face: FaceBox;
    /** with ?far= only: the per-pair false-accept rate the threshold holds, from the pack's calibration (on its grid: at most the FAR asked for) */
    far?: number | null;
    /** similarity >= threshold */
    same_person: boolean;
    /** cosine similarity of the photo's face and the stored embedding, -1..1 (the stored vector is L2-normalised first) */
    similarity: number;
    success?: true;
    /** the decision threshold used (SIMILARITY_THRESHOLD, or the calibrated threshold for ?far=) */
    threshold: number;
}
/** Every error code the service documents (`code` of an error answer). */
export type ErrorCode = "BEYOND_CALIBRATION" | "CLIENT_CLOSED_REQUEST" | "DEADLINE_EXCEEDED" | "DUPLICATE_FIELD" | "FACE_QUALITY" | "GALLERY_TOO_LARGE" | "IMAGE_TOO_LARGE" | "IMAGE_TOO_SMALL" | "INTERNAL_ERROR" | "INVALID_EMBEDDING" | "INVALID_GALLERY" | "INVALID_IMAGE" | "INVALID_REQUEST" | "METHOD_NOT_ALLOWED" | "MISSING_FIELD" | "MODEL_NOT_READY" | "MULTIPLE_FACES" | "NOT_FOUND" | "NO_FACE" | "PAYLOAD_TOO_LARGE" | "REQUEST_TIMEOUT" | "S3_ACCESS_DENIED" | "S3_BUCKET_NOT_ALLOWED" | "S3_OBJECT_NOT_FOUND" | "S3_OBJECT_TOO_LARGE" | "S3_UNAVAILABLE" | "UNAUTHORIZED" | "UNSUPPORTED_MEDIA_TYPE";
/** Each code's HTTP status and meaning, as the service documents them. */
export declare const ERROR_CODES: {
    readonly [C in ErrorCode]: {
        readonly status: number;
        readonly description: string;
    };
};
/** 422 BEYOND_CALIBRATION: ?far= or a /search gallery needs a false-accept rate that the served pack's measured calibration cannot support (below its measured range, or no curve for this pack: see /health's calibration) */
export declare class BeyondCalibrationError extends FaceServiceError {
    static readonly code = "BEYOND_CALIBRATION";
    static readonly status = 422;
    readonly code: "BEYOND_CALIBRATION";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 499 CLIENT_CLOSED_REQUEST: the client disconnected before its body arrived (logged only; nobody receives it) */
export declare class ClientClosedRequestError extends FaceServiceError {
    static readonly code = "CLIENT_CLOSED_REQUEST";
    static readonly status = 499;
    readonly code: "CLIENT_CLOSED_REQUEST";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 503 DEADLINE_EXCEEDED: not finished within the request deadline (REQUEST_DEADLINE_S; on Lambda also the invocation's remaining time): busy, or too costly an input; retry */
export declare class DeadlineExceededError extends FaceServiceError {
    static readonly code = "DEADLINE_EXCEEDED";
    static readonly status = 503;
    readonly code: "DEADLINE_EXCEEDED";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 DUPLICATE_FIELD: one field holds several files */
export declare class DuplicateFieldError extends FaceServiceError {
    static readonly code = "DUPLICATE_FIELD";
    static readonly status = 400;
    readonly code: "DUPLICATE_FIELD";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 422 FACE_QUALITY: ?min_quality=enrol and the face is not usable; `reasons` lists why */
export declare class FaceQualityError extends FaceServiceError {
    static readonly code = "FACE_QUALITY";
    static readonly status = 422;
    readonly code: "FACE_QUALITY";
    readonly status: number;
    /** FACE_QUALITY only: why the face was refused */
    readonly reasons: NonNullable<ErrorResponse["reasons"]>;
    constructor(message: string, details?: ErrorDetails);
}
/** 413 GALLERY_TOO_LARGE: the /search gallery has more than MAX_GALLERY_SIZE entries */
export declare class GalleryTooLargeError extends FaceServiceError {
    static readonly code = "GALLERY_TOO_LARGE";
    static readonly status = 413;
    readonly code: "GALLERY_TOO_LARGE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 413 IMAGE_TOO_LARGE: image declares more than MAX_IMAGE_PIXELS pixels (refused from its header) */
export declare class ImageTooLargeError extends FaceServiceError {
    static readonly code = "IMAGE_TOO_LARGE";
    static readonly status = 413;
    readonly code: "IMAGE_TOO_LARGE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 IMAGE_TOO_SMALL: an image side is below MIN_IMAGE_SIDE */
export declare class ImageTooSmallError extends FaceServiceError {
    static readonly code = "IMAGE_TOO_SMALL";
    static readonly status = 400;
    readonly code: "IMAGE_TOO_SMALL";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 500 INTERNAL_ERROR: a bug: reported without request data */
export declare class InternalError extends FaceServiceError {
    static readonly code = "INTERNAL_ERROR";
    static readonly status = 500;
    readonly code: "INTERNAL_ERROR";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 INVALID_EMBEDDING: a stored embedding (/verify, /search) is not one of the served model's: as many finite numbers as its embeddings have (JSON list or base64 of little-endian float32), not all zeros */
export declare class InvalidEmbeddingError extends FaceServiceError {
    static readonly code = "INVALID_EMBEDDING";
    static readonly status = 400;
    readonly code: "INVALID_EMBEDDING";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 INVALID_GALLERY: the /search gallery is not a non-empty list of {id, embedding} entries */
export declare class InvalidGalleryError extends FaceServiceError {
    static readonly code = "INVALID_GALLERY";
    static readonly status = 400;
    readonly code: "INVALID_GALLERY";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 INVALID_IMAGE: not a decodable image, or corrupt/truncated */
export declare class InvalidImageError extends FaceServiceError {
    static readonly code = "INVALID_IMAGE";
    static readonly status = 400;
    readonly code: "INVALID_IMAGE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 400 INVALID_REQUEST: malformed body or parameter (bad multipart, bad JSON, bad base64, bad query value) */
export declare class InvalidRequestError extends FaceServiceError {
    static readonly code = "INVALID_REQUEST";
    static readonly status = 400;
    readonly code: "INVALID_REQUEST";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 405 METHOD_NOT_ALLOWED: wrong HTTP method for the route */
export declare class MethodNotAllowedError extends FaceServiceError {
    static readonly code = "METHOD_NOT_ALLOWED";
    static readonly status = 405;
    readonly code: "METHOD_NOT_ALLOWED";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 422 MISSING_FIELD: a required field (image, image1, image2) is absent */
export declare class MissingFieldError extends FaceServiceError {
    static readonly code = "MISSING_FIELD";
    static readonly status = 422;
    readonly code: "MISSING_FIELD";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 503 MODEL_NOT_READY: the model pack failed to load */
export declare class ModelNotReadyError extends FaceServiceError {
    static readonly code = "MODEL_NOT_READY";
    static readonly status = 503;
    readonly code: "MODEL_NOT_READY";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 422 MULTIPLE_FACES: several faces where one is required (use ?face=largest) */
export declare class MultipleFacesError extends FaceServiceError {
    static readonly code = "MULTIPLE_FACES";
    static readonly status = 422;
    readonly code: "MULTIPLE_FACES";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 404 NOT_FOUND: no such route */
export declare class NotFoundError extends FaceServiceError {
    static readonly code = "NOT_FOUND";
    static readonly status = 404;
    readonly code: "NOT_FOUND";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 422 NO_FACE: no face found where one is required */
export declare class NoFaceError extends FaceServiceError {
    static readonly code = "NO_FACE";
    static readonly status = 422;
    readonly code: "NO_FACE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 413 PAYLOAD_TOO_LARGE: request body over MAX_UPLOAD_BYTES */
export declare class PayloadTooLargeError extends FaceServiceError {
    static readonly code = "PAYLOAD_TOO_LARGE";
    static readonly status = 413;
    readonly code: "PAYLOAD_TOO_LARGE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 408 REQUEST_TIMEOUT: the request body did not arrive within the deadline (REQUEST_DEADLINE_S) */
export declare class RequestTimeoutError extends FaceServiceError {
    static readonly code = "REQUEST_TIMEOUT";
    static readonly status = 408;
    readonly code: "REQUEST_TIMEOUT";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 403 S3_ACCESS_DENIED: the bucket is allowed but S3 denied the read (IAM); S3 also answers this for a missing key when the role lacks s3:ListBucket */
export declare class S3AccessDeniedError extends FaceServiceError {
    static readonly code = "S3_ACCESS_DENIED";
    static readonly status = 403;
    readonly code: "S3_ACCESS_DENIED";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 403 S3_BUCKET_NOT_ALLOWED: S3 input is off (ALLOWED_S3_BUCKETS empty) or the bucket is not in ALLOWED_S3_BUCKETS */
export declare class S3BucketNotAllowedError extends FaceServiceError {
    static readonly code = "S3_BUCKET_NOT_ALLOWED";
    static readonly status = 403;
    readonly code: "S3_BUCKET_NOT_ALLOWED";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 404 S3_OBJECT_NOT_FOUND: the s3:// object does not exist */
export declare class S3ObjectNotFoundError extends FaceServiceError {
    static readonly code = "S3_OBJECT_NOT_FOUND";
    static readonly status = 404;
    readonly code: "S3_OBJECT_NOT_FOUND";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 413 S3_OBJECT_TOO_LARGE: the s3:// object is larger than MAX_S3_BYTES (refused from HeadObject) */
export declare class S3ObjectTooLargeError extends FaceServiceError {
    static readonly code = "S3_OBJECT_TOO_LARGE";
    static readonly status = 413;
    readonly code: "S3_OBJECT_TOO_LARGE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 502 S3_UNAVAILABLE: S3 could not be reached or refused the read for another reason */
export declare class S3UnavailableError extends FaceServiceError {
    static readonly code = "S3_UNAVAILABLE";
    static readonly status = 502;
    readonly code: "S3_UNAVAILABLE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 401 UNAUTHORIZED: API_KEY is set and x-api-key is missing or wrong */
export declare class UnauthorizedError extends FaceServiceError {
    static readonly code = "UNAUTHORIZED";
    static readonly status = 401;
    readonly code: "UNAUTHORIZED";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** 415 UNSUPPORTED_MEDIA_TYPE: Content-Type not multipart/form-data or application/json, or an image format not supported (GIF, HEIC, AVIF, SVG) */
export declare class UnsupportedMediaTypeError extends FaceServiceError {
    static readonly code = "UNSUPPORTED_MEDIA_TYPE";
    static readonly status = 415;
    readonly code: "UNSUPPORTED_MEDIA_TYPE";
    readonly status: number;
    constructor(message: string, details?: ErrorDetails);
}
/** The class of each code: what the client instantiates for an error answer. */
export declare const ERROR_CLASSES: {
    readonly [C in ErrorCode]: (new (message: string, details?: ErrorDetails) => FaceServiceError) & {
        readonly code: C;
        readonly status: number;
    };
};
/** Body of POST /compare: images as bytes (multipart), base64 or s3:// (JSON). */
export interface CompareRequest {
    /** JPEG, PNG, WebP, BMP or TIFF */
    image1: ImageInput;
    /** JPEG, PNG, WebP, BMP or TIFF */
    image2: ImageInput;
}
/** Query options of POST /compare. */
export interface CompareQuery {
    /** which face when an image holds several: 'single' (default) refuses with MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre */
    face?: "single" | "largest" | "center" | undefined;
    /** decide at the threshold the pack's calibration gives for this per-pair false-accept rate (e.g. 1e-5; GET /health lists the calibrated range); absent: the default threshold. 422 BEYOND_CALIBRATION when the pack has no calibration or the FAR is below its range */
    far?: number | null | undefined;
    /** 'enrol': refuse a face that is not usable (422 FACE_QUALITY naming the image, with the reasons), as Rekognition's QualityFilter */
    min_quality?: "none" | "enrol" | undefined;
}
/** Body of POST /detect: images as bytes (multipart), base64 or s3:// (JSON). */
export interface DetectRequest {
    /** JPEG, PNG, WebP, BMP or TIFF */
    image: ImageInput;
}
/** Query options of POST /detect. */
export type DetectQuery = Record<never, never>;
/** Body of POST /extract-embedding: images as bytes (multipart), base64 or s3:// (JSON). */
export interface ExtractEmbeddingRequest {
    /** JPEG, PNG, WebP, BMP or TIFF */
    image: ImageInput;
}
/** Query options of POST /extract-embedding. */
export interface ExtractEmbeddingQuery {
    /** which face when an image holds several: 'single' (default) refuses with MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre */
    face?: "single" | "largest" | "center" | undefined;
    /** embeddings for every face, batched */
    all?: boolean | undefined;
    /** 'enrol': refuse a face that is not usable (422 FACE_QUALITY naming the image, with the reasons), as Rekognition's QualityFilter */
    min_quality?: "none" | "enrol" | undefined;
}
export type ExtractEmbeddingResponse = ExtractResponse;
/** Query options of GET /health. */
export type HealthQuery = Record<never, never>;
export type HealthAnswer = HealthResponse | HealthStatus;
/** Body of POST /search: images as bytes (multipart), base64 or s3:// (JSON). */
export interface SearchRequest {
    /** JPEG, PNG, WebP, BMP or TIFF */
    image: ImageInput;
    /** entries to search; ids may repeat (several photos of a person); at most MAX_GALLERY_SIZE (default 1,000) */
    gallery: readonly ({
        embedding: EmbeddingInput;
        id: string;
    })[];
}
/** Query options of POST /search. */
export interface SearchQuery {
    /** which face when an image holds several: 'single' (default) refuses with MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre */
    face?: "single" | "largest" | "center" | undefined;
    /** the most matches to return */
    top_k?: number | undefined;
    /** target false-positive identification rate for this search (a person not in the gallery is matched at most this often); absent: SEARCH_FPIR. The threshold is the pack's calibrated threshold at FAR = fpir / gallery entries, never below the 1:1 threshold */
    fpir?: number | null | undefined;
    /** 'enrol': refuse a face that is not usable (422 FACE_QUALITY naming the image, with the reasons), as Rekognition's QualityFilter */
    min_quality?: "none" | "enrol" | undefined;
}
/** Body of POST /verify: images as bytes (multipart), base64 or s3:// (JSON). */
export interface VerifyRequest {
    /** JPEG, PNG, WebP, BMP or TIFF */
    image: ImageInput;
    /** 512 floats of a stored /extract-embedding answer: a JSON list, or base64 of little-endian float32 (Node: Buffer.from(f32.buffer).toString('base64')); L2-normalised here */
    embedding: EmbeddingInput;
}
/** Query options of POST /verify. */
export interface VerifyQuery {
    /** which face when an image holds several: 'single' (default) refuses with MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre */
    face?: "single" | "largest" | "center" | undefined;
    /** decide at the threshold the pack's calibration gives for this per-pair false-accept rate (e.g. 1e-5; GET /health lists the calibrated range); absent: the default threshold. 422 BEYOND_CALIBRATION when the pack has no calibration or the FAR is below its range */
    far?: number | null | undefined;
    /** 'enrol': refuse a face that is not usable (422 FACE_QUALITY naming the image, with the reasons), as Rekognition's QualityFilter */
    min_quality?: "none" | "enrol" | undefined;
}
/** What the runtime needs to know of each route. */
export declare const ROUTES: {
    readonly compare: {
        readonly method: "POST";
        readonly path: "/compare";
        readonly images: readonly ["image1", "image2"];
        readonly multipartFields: readonly [];
        readonly json: true;
        readonly query: readonly ["face", "far", "min_quality"];
        readonly ok: readonly [200];
    };
    readonly detect: {
        readonly method: "POST";
        readonly path: "/detect";
        readonly images: readonly ["image"];
        readonly multipartFields: readonly [];
        readonly json: true;
        readonly query: readonly [];
        readonly ok: readonly [200];
    };
    readonly extractEmbedding: {
        readonly method: "POST";
        readonly path: "/extract-embedding";
        readonly images: readonly ["image"];
        readonly multipartFields: readonly [];
        readonly json: true;
        readonly query: readonly ["face", "all", "min_quality"];
        readonly ok: readonly [200];
    };
    readonly health: {
        readonly method: "GET";
        readonly path: "/health";
        readonly images: readonly [];
        readonly multipartFields: null;
        readonly json: false;
        readonly query: readonly [];
        readonly ok: readonly [200, 503];
    };
    readonly search: {
        readonly method: "POST";
        readonly path: "/search";
        readonly images: readonly ["image"];
        readonly multipartFields: readonly ["gallery"];
        readonly json: true;
        readonly query: readonly ["face", "top_k", "fpir", "min_quality"];
        readonly ok: readonly [200];
    };
    readonly verify: {
        readonly method: "POST";
        readonly path: "/verify";
        readonly images: readonly ["image"];
        readonly multipartFields: readonly ["embedding"];
        readonly json: true;
        readonly query: readonly ["face", "far", "min_quality"];
        readonly ok: readonly [200];
    };
};
/** The client's methods, as an interface: what to inject, and what a test's plain-object mock implements. */
export interface FaceApi {
    /**
     * Are the faces in image1 and image2 the same person?
     *
     * POST /compare
     */
    compare(request: CompareRequest, options?: CompareQuery & CallOptions): Promise<WithMetadata<CompareResponse>>;
    /**
     * Detect faces (detection only, no embeddings)
     *
     * POST /detect
     */
    detect(request: DetectRequest, options?: DetectQuery & CallOptions): Promise<WithMetadata<DetectResponse>>;
    /**
     * 512-D L2-normalised embedding of the face in the image
     *
     * POST /extract-embedding
     */
    extractEmbedding(request: ExtractEmbeddingRequest, options?: ExtractEmbeddingQuery & CallOptions): Promise<WithMetadata<ExtractEmbeddingResponse>>;
    /**
     * Health
     *
     * With API_KEY set, a caller without a valid x-api-key learns only `status` (up or down).
     *
     * GET /health
     */
    health(options?: HealthQuery & CallOptions): Promise<WithMetadata<HealthAnswer>>;
    /**
     * Which of the gallery's people is the face in the photo? Top-k at or above the threshold for the gallery's size
     *
     * POST /search
     */
    search(request: SearchRequest, options?: SearchQuery & CallOptions): Promise<WithMetadata<SearchResponse>>;
    /**
     * Is the face in the photo the person of a stored embedding?
     *
     * POST /verify
     */
    verify(request: VerifyRequest, options?: VerifyQuery & CallOptions): Promise<WithMetadata<VerifyResponse>>;
}
/**
 * The typed client: one method per route of the service's OpenAPI document.
 *
 * Every method resolves with the answer (its `$metadata` a non-enumerable property) or rejects with a
 * FaceServiceError: one subclass per ErrorCode, FaceTimeoutError, FaceAbortError, FaceNetworkError or
 * UnexpectedResponseError. Retryable failures are retried first (maxAttempts, backoff, the time budget).
 */
export declare class FaceClient extends FaceClientBase implements FaceApi {
    constructor(config: FaceClientConfig);
    /**
     * Are the faces in image1 and image2 the same person?
     *
     * POST /compare
     */
    compare(request: CompareRequest, options?: CompareQuery & CallOptions): Promise<WithMetadata<CompareResponse>>;
    /**
     * Detect faces (detection only, no embeddings)
     *
     * POST /detect
     */
    detect(request: DetectRequest, options?: DetectQuery & CallOptions): Promise<WithMetadata<DetectResponse>>;
    /**
     * 512-D L2-normalised embedding of the face in the image
     *
     * POST /extract-embedding
     */
    extractEmbedding(request: ExtractEmbeddingRequest, options?: ExtractEmbeddingQuery & CallOptions): Promise<WithMetadata<ExtractEmbeddingResponse>>;
    /**
     * Health
     *
     * With API_KEY set, a caller without a valid x-api-key learns only `status` (up or down).
     *
     * GET /health
     */
    health(options?: HealthQuery & CallOptions): Promise<WithMetadata<HealthAnswer>>;
    /**
     * Which of the gallery's people is the face in the photo? Top-k at or above the threshold for the gallery's size
     *
     * POST /search
     */
    search(request: SearchRequest, options?: SearchQuery & CallOptions): Promise<WithMetadata<SearchResponse>>;
    /**
     * Is the face in the photo the person of a stored embedding?
     *
     * POST /verify
     */
    verify(request: VerifyRequest, options?: VerifyQuery & CallOptions): Promise<WithMetadata<VerifyResponse>>;
}
//# sourceMappingURL=generated.d.ts.map