# Fails at plan time unless `ok` is true: nothing is ever half-created.

variable "ok" {
  type = bool
}

variable "token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "guarded" {
  input = var.token

  lifecycle {
    precondition {
      condition     = var.ok
      error_message = "The module was told to fail."
    }
  }
}

output "id" {
  value = terraform_data.guarded.id
}
