#include <stddef.h>
#include <stdint.h>

/* Bitwise CRC-32 (IEEE 802.3), the kind of small kernel embedded code is full of. */
uint32_t crc32(const uint8_t *data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
  }
  return ~crc;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Scale a buffer of samples with saturation. */
void scale_samples(int *samples, int n, int num, int den) {
  for (int i = 0; i < n; i++)
    samples[i] = clamp(samples[i] * num / den, -32768, 32767);
}

int main(void) {
  static const uint8_t msg[] = "123456789";
  int buf[4] = {1000, -2000, 30000, -30000};
  scale_samples(buf, 4, 3, 2);
  return crc32(msg, 9) == 0xCBF43926u && buf[2] == 32767 ? 0 : 1;
}
