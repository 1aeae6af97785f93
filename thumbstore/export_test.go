package thumbstore

// ErrorFromFS sorts a file system error as the local backend does.
var ErrorFromFS = fsUnavailable
