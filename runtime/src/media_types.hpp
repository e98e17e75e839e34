// Media types and annotations from image-spec v1.1 "media-types.md" and "annotations.md".
#pragma once

namespace keel::runtime {

inline constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
// Deprecated in image-spec v1.1 but still valid to read.
inline constexpr const char* kLayerNondistTar =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr const char* kLayerNondistTarGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr const char* kLayerNondistTarZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

}  // namespace keel::runtime
