//! Where the datastore is: flags, environment, config file, default.
