// Package twin is the digital-twin document model.
package twin
